/**
 * The "test" Stryker runs for `npm run mutate` (see mutate.ts): one Vitest test per graded part of
 * the lab named by MQ_MUTATE_LAB, each grading the lab's solution in this process at the part's
 * default depth, without shrinking. A test fails, and the mutant is killed, when the part fails on
 * some seed; gradePart stops at the first failing seed, and Stryker stops at the first failing test.
 *
 * Not a `*.test.ts` file on purpose: `npm test` must not pick it up; only mutate.vitest.config.ts
 * includes it.
 */
import { describe, expect, it } from "vitest";
import { gradeInProcess } from "../grade/in-process.ts";
import { findLab } from "../grade/labs.ts";
import { headline } from "../grade/verdict.ts";

const slug = process.env.MQ_MUTATE_LAB;
if (slug === undefined || slug === "") throw new Error("mutate.grade.ts runs under `npm run mutate -- NN`");

// Load the lab and its solution here, while the file loads, not inside a test: Stryker counts code
// that runs outside a test as "static" and runs every test for its mutants (module-level constants
// reach every part). Loaded inside the first test, they would count as covered by that part alone.
// A mutant can also stop the solution from loading at all (an export left undefined, a module that
// throws as it is evaluated). Vitest would then report a file that failed to load and no failed
// test, and Stryker would count the mutant as survived; so the load error fails every part instead.
const lab = await findLab(slug);
let loadError: string | null = null;
try {
  await gradeInProcess(slug, "solution", { seeds: 0 });
} catch (error) {
  loadError = error instanceof Error ? error.message : String(error);
}

describe(`lab ${lab.id}`, () => {
  for (const part of lab.manifest.parts) {
    it(`${part.id} at its default depth (${part.seeds} seeds)`, async () => {
      expect(loadError, "the solution did not load").toBeNull();
      const { outcomes } = await gradeInProcess(slug, "solution", { parts: [part.id], shrink: false });
      const failure = outcomes.get(part.id)?.failure ?? null;
      expect(failure === null ? "pass" : `seed ${failure.seed}: ${headline(failure.verdict)}`).toBe("pass");
    });
  }
});
