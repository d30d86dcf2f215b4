/**
 * Correct alternatives to lab 01's reference solution: implementations written from the stubs'
 * contracts and the guide alone, with choices of their own (see the header of each file in
 * alternatives/NAME/). They guard the grader against false failures: a correct log written
 * differently from the reference must pass every part. Deeper runs, outside the suite:
 *
 *     nice -n 10 npx lab grade 01 --impl labs/01-log-storage/alternatives/write-through --seeds 2000
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { gradeInProcess } from "#harness/grade/in-process.ts";
import { REPO_ROOT } from "#harness/grade/labs.ts";

const LAB = path.join(REPO_ROOT, "labs", "01-log-storage");

/** Each alternative, with the seeds per part it must pass here (the suite's budget: ~40 s each). */
const alternatives = [{ name: "write-through", seeds: 60 }];

describe("lab 01-log-storage, correct alternatives", () => {
  it("every folder in alternatives/ is graded here", () => {
    const dir = path.join(LAB, "alternatives");
    const folders = readdirSync(dir).filter((name) => statSync(path.join(dir, name)).isDirectory());
    expect(folders.sort()).toEqual(alternatives.map((a) => a.name).sort());
  });

  for (const { name, seeds } of alternatives) {
    it(`${name}: its log.ts is the provided one, unchanged below a comment`, () => {
      const provided = readFileSync(path.join(LAB, "src", "log.ts"), "utf8");
      const copy = readFileSync(path.join(LAB, "alternatives", name, "log.ts"), "utf8");
      expect(copy.endsWith(provided)).toBe(true);
      expect(
        copy
          .slice(0, copy.length - provided.length)
          .split("\n")
          .slice(0, -1)
          .every((line) => line.startsWith("//")),
      ).toBe(true);
    });

    it(`a correct alternative (${name}) passes every part on ${seeds} seeds`, async () => {
      const { lab, outcomes } = await gradeInProcess("01-log-storage", `alternatives/${name}`, { seeds });
      for (const part of lab.manifest.parts) {
        const outcome = outcomes.get(part.id);
        expect(outcome?.failure ?? null, `${part.id}: ${JSON.stringify(outcome?.failure?.verdict)}`).toBeNull();
        expect(outcome?.seedsRun, part.id).toBe(seeds);
      }
    });
  }
});
