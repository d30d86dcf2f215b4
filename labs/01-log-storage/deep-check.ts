/**
 * The deep check of lab 01: grades the reference solution (or any implementation folder) on many
 * more seeds than `npx lab grade` does, part by part, and prints the first failure in full.
 *
 *     npx tsx labs/01-log-storage/deep-check.ts                  2,000 seeds per part, the solution
 *     npx tsx labs/01-log-storage/deep-check.ts 5000             5,000 seeds per part
 *     npx tsx labs/01-log-storage/deep-check.ts 2000 bugs/ack-before-fsync --part L1.D
 *
 * `npm test` grades the solution on fewer seeds per part (see lab.test.ts); this is the promise
 * that it passes every part on at least 2,000.
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

let failed = false;
const lab = "01-log-storage";
const { lab: entry } = await gradeInProcess(lab, implDir, { seeds: 0 });
for (const part of entry.manifest.parts) {
  if (values.part && !values.part.includes(part.id)) continue;
  const started = performance.now();
  const { outcomes } = await gradeInProcess(lab, implDir, { parts: [part.id], seeds, firstSeed, shrink: false });
  const outcome = outcomes.get(part.id);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
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
