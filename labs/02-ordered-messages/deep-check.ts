/**
 * The deep check of lab 02: grades the reference solution (or any implementation folder) on many
 * more seeds than `npx lab grade` does, part by part, and prints the first failure in full.
 *
 *     npx tsx labs/02-ordered-messages/deep-check.ts                         2,000 seeds per part
 *     npx tsx labs/02-ordered-messages/deep-check.ts 5000 --first 2001       seeds 2001..7000
 *     npx tsx labs/02-ordered-messages/deep-check.ts 500 bugs/lock-never-renewed --part L2.D
 *
 * lab.test.ts grades the solution on 200 seeds per part, to keep `npm test` quick; this is the
 * promise that it passes every part on at least 2,000. (The last recorded run is in the guide,
 * section 9, "Running the grader".)
 */
import { parseArgs } from "node:util";
import { gradeInProcess } from "#harness/grade/in-process.ts";
import { details, headline } from "#harness/grade/verdict.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { part: { type: "string", multiple: true }, first: { type: "string" } },
});
const seeds = Number(positionals[0] ?? 2000);
const implDir = positionals[1] ?? "solution";
const firstSeed = Number(values.first ?? 1);
const LAB = "02-ordered-messages";

let failed = false;
const { lab } = await gradeInProcess(LAB, implDir, { seeds: 0 });
for (const part of lab.manifest.parts) {
  if (values.part && !values.part.includes(part.id)) continue;
  const startedMs = performance.now();
  const { outcomes } = await gradeInProcess(LAB, implDir, { parts: [part.id], seeds, firstSeed, shrink: false });
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
process.exit(failed ? 1 : 0);
