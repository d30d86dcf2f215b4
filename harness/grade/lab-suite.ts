/**
 * The test suite every lab gets (`describeLabSuite` in its `lab.test.ts`), proving points 2 to 4
 * of "a lab is done": the untouched stubs earn "not implemented" on every part; the reference
 * solution passes every part on many seeds; every bug-zoo entry is caught exactly as the lab's
 * bugs/zoo.json says; the same seed gives the same run; stubs and solution export the same names.
 *
 * The stubs checked are the ones the project ships, read from git (shipped.ts), never the
 * learner's `src/`: a learner's work there must not turn the project's tests red.
 */
import { readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gradeInProcess } from "./in-process.ts";
import { entryFiles, findLab, guardRootsFor, LABS_DIR, loadImpl } from "./labs.ts";
import { runScenario } from "./runner.ts";
import { shippedStubs } from "./shipped.ts";
import { readZoo } from "./zoo.ts";

export type { ZooEntry } from "./zoo.ts";

export interface LabSuiteOptions {
  /** The lab's folder name: "00-durable-register". */
  slug: string;
  /** Seeds per part the solution must pass in this suite. */
  solutionSeeds: number;
}

export function describeLabSuite(options: LabSuiteOptions): void {
  const { slug } = options;
  // The lab's bugs/zoo.json, read now: each entry becomes a test of its own.
  const zoo = readZoo(path.join(LABS_DIR, slug));
  describe(`lab ${slug}`, () => {
    it("the untouched stubs earn 'not implemented' on every part, never a crash", async () => {
      const lab = await findLab(slug);
      await withShippedStubs(slug, async (stubs) => {
        const { outcomes } = await gradeInProcess(slug, stubs, { seeds: 3 });
        for (const part of lab.manifest.parts) {
          expect(outcomes.get(part.id)?.failure?.verdict.kind, part.id).toBe("notImplemented");
        }
      });
    });

    it(`the reference solution passes every part on ${options.solutionSeeds} seeds`, async () => {
      const lab = await findLab(slug);
      const { outcomes } = await gradeInProcess(slug, "solution", { seeds: options.solutionSeeds });
      for (const part of lab.manifest.parts) {
        const outcome = outcomes.get(part.id);
        expect(outcome?.failure ?? null, `${part.id}: ${JSON.stringify(outcome?.failure?.verdict)}`).toBeNull();
        expect(outcome?.seedsRun).toBe(options.solutionSeeds);
      }
    });

    it("the bug zoo lists every folder in bugs/", async () => {
      const lab = await findLab(slug);
      const bugsDir = path.join(lab.dir, "bugs");
      const folders = readdirSync(bugsDir).filter((name) => statSync(path.join(bugsDir, name)).isDirectory());
      expect(folders.sort()).toEqual(zoo.map((entry) => entry.name).sort());
    });

    for (const entry of zoo) {
      it(`bug zoo: ${entry.name} is caught by ${Object.keys(entry.caughtBy).join(", ")} and passes the rest`, async () => {
        const { outcomes } = await gradeInProcess(slug, `bugs/${entry.name}`, { shrink: true });
        const caught: Record<string, string> = {};
        for (const [id, outcome] of outcomes) {
          const verdict = outcome.failure?.verdict;
          if (verdict === undefined) continue;
          caught[id] = verdict.kind === "anomaly" ? (verdict.anomalies[0]?.name ?? "anomaly") : verdict.kind;
        }
        expect(caught).toEqual(entry.caughtBy);
      });
    }

    it("the same seed gives the same run, for every part", async () => {
      const lab = await findLab(slug);
      const dir = path.join(lab.dir, "solution");
      const choice = { kind: "solution" as const, dir, label: dir, flag: "--solution" };
      const impl = await loadImpl(lab, choice);
      const settings = { guardRoots: guardRootsFor(choice), implDir: dir };
      for (const part of lab.manifest.parts) {
        const [scenario] = fc.sample(part.scenario, { seed: 7, numRuns: 1 });
        const first = await runScenario(part, impl, 7, scenario, settings);
        const second = await runScenario(part, impl, 7, scenario, settings);
        expect(first.verdict.kind).toBe("pass");
        expect(second.digest, part.id).toBe(first.digest);
        expect(second.events).toBe(first.events);
      }
    });

    it("the stubs and the solution export the same names", async () => {
      const lab = await findLab(slug);
      const stub: Record<string, unknown> = {};
      const solution: Record<string, unknown> = {};
      await withShippedStubs(slug, async (stubs) => {
        for (const entry of entryFiles(lab)) {
          Object.assign(stub, await import(path.join(stubs, entry)));
          Object.assign(solution, await import(path.join(lab.dir, "solution", entry)));
        }
      });
      for (const name of lab.manifest.exports) {
        expect(typeof stub[name], `stub export ${name}`).toBe("function");
        expect(typeof solution[name], `solution export ${name}`).toBe("function");
      }
    });
  });
}

/** Runs `check` on a copy of the lab's stubs as shipped (see shipped.ts), then removes the copy. */
async function withShippedStubs(slug: string, check: (dir: string) => Promise<void>): Promise<void> {
  const lab = await findLab(slug);
  const dir = shippedStubs(lab);
  try {
    await check(dir);
  } finally {
    if (dir !== path.join(lab.dir, lab.manifest.learnerDir)) rmSync(dir, { recursive: true, force: true });
  }
}
