/**
 * `npx lab deep-check LAB`: grades the reference solution (or any implementation folder) on many
 * more seeds than `npx lab grade` does, part by part, without shrinking, and prints the first
 * failure of each part in full with its replay command. `npm test` grades fewer seeds per part;
 * this is the promise that the solution passes every part on thousands. Every lab has it, from the
 * harness: no lab keeps a script of its own.
 *
 * The seeds of a part are cut into chunks graded on the worker pool in parallel; the failure
 * reported is the lowest failing seed, as with `lab grade`.
 */
import type { Part } from "../grade/define.ts";
import type { PartOutcome } from "../grade/grade-part.ts";
import type { ImplChoice, LabEntry } from "../grade/labs.ts";
import { GradingPool } from "../grade/pool.ts";
import { replayCommand } from "../grade/report.ts";
import { details, headline } from "../grade/verdict.ts";

export interface DeepCheckOptions {
  seeds: number;
  firstSeed: number;
  workers?: number;
}

/** Seeds per job: small enough to spread a part over the workers, large enough to amortise a job. */
const CHUNK_SEEDS = 250;

/** Runs the deep check; returns the exit code (0 every part passed every seed, 1 a part failed). */
export async function deepCheck(
  lab: LabEntry,
  choice: ImplChoice,
  parts: readonly Part<unknown>[],
  options: DeepCheckOptions,
): Promise<number> {
  console.log(
    `Deep check of lab ${lab.id} · ${lab.manifest.title}: ${choice.label}, seeds ${options.firstSeed} to ${options.firstSeed + options.seeds - 1} of every part, no shrinking`,
  );
  const pool = new GradingPool(lab, choice, { workers: options.workers });
  let failed = false;
  try {
    for (const part of parts) {
      const startedMs = performance.now();
      const chunks: number[][] = [];
      for (let offset = 0; offset < options.seeds; offset += CHUNK_SEEDS) {
        const size = Math.min(CHUNK_SEEDS, options.seeds - offset);
        chunks.push(Array.from({ length: size }, (_, i) => options.firstSeed + offset + i));
      }
      const outcomes = await Promise.all(chunks.map((seeds) => pool.grade(part.id, seeds, false)));
      const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
      const failure = firstFailure(outcomes);
      if (failure === null) {
        console.log(`  ✓ ${part.id}  passed ${options.seeds} seeds (${seconds} s)`);
        continue;
      }
      failed = true;
      console.log(`  ✗ ${part.id}  FAILED on seed ${failure.seed} (${seconds} s)`);
      console.log(`      ${headline(failure.verdict)}`);
      for (const line of details(failure.verdict)) console.log(`        ${line}`);
      for (const line of failure.scenarioLines) console.log(`        ${line}`);
      console.log(`      Replay it: ${replayCommand(lab, choice, part.id, failure)}`);
    }
  } finally {
    await pool.close();
  }
  return failed ? 1 : 0;
}

function firstFailure(outcomes: readonly PartOutcome[]): PartOutcome["failure"] {
  let first: PartOutcome["failure"] = null;
  for (const outcome of outcomes) {
    const failure = outcome.failure;
    if (failure !== null && (first === null || failure.seed < first.seed)) first = failure;
  }
  return first;
}
