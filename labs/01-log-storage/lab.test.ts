import { cpSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gradeInProcess } from "#harness/grade/in-process.ts";
import { describeLabSuite } from "#harness/grade/lab-suite.ts";
import { REPO_ROOT } from "#harness/grade/labs.ts";
import { zoo } from "./bugs/zoo.ts";

// The solution passes every part on 300 seeds here; `npx tsx labs/01-log-storage/deep-check.ts`
// grades 2,000 or more per part (the guide gives the figures).
describeLabSuite({ slug: "01-log-storage", solutionSeeds: 300, zoo });

const LAB = path.join(REPO_ROOT, "labs", "01-log-storage");

describe("lab 01-log-storage, beyond the shared suite", () => {
  // A learner works part by part: each part must be gradable as soon as the files it needs are
  // written, and every part that still needs a stub must say "not implemented", never crash.
  const scratch = path.join(REPO_ROOT, ".lab", "tmp", "lab01-partial");
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const stages: Array<{ written: string[]; passing: string[] }> = [
    { written: ["record.ts"], passing: ["L1.A"] },
    { written: ["record.ts", "commit-log.ts"], passing: ["L1.A", "L1.B"] },
    { written: ["record.ts", "commit-log.ts", "consume-queue.ts"], passing: ["L1.A", "L1.B", "L1.C"] },
    {
      written: ["record.ts", "commit-log.ts", "consume-queue.ts", "recovery.ts"],
      passing: ["L1.A", "L1.B", "L1.C", "L1.E"],
    },
  ];
  for (const stage of stages) {
    it(`with only ${stage.written.join(", ")} written, ${stage.passing.join(", ")} pass and the rest are 'not implemented'`, async () => {
      const dir = path.join(scratch, stage.written.length.toString());
      mkdirSync(dir, { recursive: true });
      cpSync(path.join(LAB, "src"), dir, { recursive: true });
      for (const file of stage.written) cpSync(path.join(LAB, "solution", file), path.join(dir, file));
      const { outcomes } = await gradeInProcess("01-log-storage", dir, { seeds: 20 });
      for (const [id, outcome] of outcomes) {
        if (stage.passing.includes(id)) expect(outcome.failure?.verdict ?? null, id).toBeNull();
        else expect(outcome.failure?.verdict.kind, id).toBe("notImplemented");
      }
    });
  }
});
