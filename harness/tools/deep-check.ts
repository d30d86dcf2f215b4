/**
 * A lab's deep check: grades the reference solution (or any implementation folder) on many more
 * seeds than `npx lab grade` does, part by part, and prints the first failure in full. Each lab's
 * `deep-check.ts` calls this with its own name; `npm test` grades fewer seeds per part, and this is
 * the promise that the solution passes every part on thousands.
 *
 *     npx tsx labs/NN-name/deep-check.ts [SEEDS=2000] [IMPL_DIR=solution] [--part ID]... [--first S]
 */
import { parseArgs } from "node:util";
import { gradeInProcess } from "../grade/in-process.ts";
import { details, headline } from "../grade/verdict.ts";

/** Runs the deep check of lab `slug` with the command-line `args`; returns the exit code. */
export async function deepCheck(slug: string, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { part: { type: "string", multiple: true }, first: { type: "string" } },
  });
  const seeds = Number(positionals[0] ?? 2000);
  const implDir = positionals[1] ?? "solution";
  const firstSeed = Number(values.first ?? 1);
  let failed = false;
  const { lab } = await gradeInProcess(slug, implDir, { seeds: 0 });
  for (const part of lab.manifest.parts) {
    if (values.part && !values.part.includes(part.id)) continue;
    const startedMs = performance.now();
    const { outcomes } = await gradeInProcess(slug, implDir, { parts: [part.id], seeds, firstSeed, shrink: false });
    const outcome = outcomes.get(part.id);
    const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
    if (outcome?.failure) {
      failed = true;
      console.log(`${part.id}  FAILED on seed ${outcome.failure.seed} after ${outcome.seedsRun} seeds (${seconds} s)`);
      console.log(`  ${headline(outcome.failure.verdict)}`);
      for (const line of details(outcome.failure.verdict)) console.log(`    ${line}`);
      for (const line of outcome.failure.scenarioLines) console.log(`    ${line}`);
    } else {
      console.log(`${part.id}  passed ${outcome?.seedsRun} seeds from seed ${firstSeed} (${seconds} s)`);
    }
  }
  return failed ? 1 : 0;
}
