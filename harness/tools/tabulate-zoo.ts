/**
 * Re-tabulates a lab's bug zoo: grades every entry in its bugs/ (or the ones named) at default
 * depth with shrinking, as `npx lab grade` does, and prints each entry's `caughtBy` in the shape of
 * the lab's bugs/zoo.ts, with the seed that caught it and the time it took. It also measures each
 * entry's time to its first failure: each catching part graded alone from seed 1, without
 * shrinking, until its first failing seed; the entry's figure is the quickest of its parts (what a
 * learner grading that part waits for). The last line gives the median over the entries, against
 * issue 7's budget of 1 s. Run it after changing
 * fault plans, workloads or checkers, then update zoo.ts and the entries' READMEs
 * (`npx tsx harness/tools/refresh-bug-reports.ts NN`) to match:
 *
 *     npx tsx harness/tools/tabulate-zoo.ts NN [NAME ...]
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { gradeInProcess } from "../grade/in-process.ts";
import { findLab } from "../grade/labs.ts";

/** Each entry's catches: part id -> the anomaly (or verdict kind) its report leads with. */
export async function tabulateZoo(labQuery: string, only: readonly string[] = []): Promise<string[]> {
  const lab = await findLab(labQuery);
  const bugsDir = path.join(lab.dir, "bugs");
  const names = readdirSync(bugsDir)
    .filter((name) => statSync(path.join(bugsDir, name)).isDirectory())
    .filter((name) => only.length === 0 || only.includes(name))
    .sort();
  const lines: string[] = [];
  const firstFailures: number[] = [];
  for (const name of names) {
    const startedMs = performance.now();
    const { outcomes } = await gradeInProcess(lab.slug, `bugs/${name}`, { shrink: true });
    const caughtBy: Record<string, string> = {};
    const seeds: string[] = [];
    for (const [id, outcome] of outcomes) {
      const failure = outcome.failure;
      if (failure === null) continue;
      const verdict = failure.verdict;
      caughtBy[id] = verdict.kind === "anomaly" ? (verdict.anomalies[0]?.name ?? "anomaly") : verdict.kind;
      seeds.push(`${id} seed ${failure.seed}`);
    }
    const ms = (performance.now() - startedMs).toFixed(0);
    const first = await firstFailureMs(lab.slug, name, Object.keys(caughtBy));
    if (first !== null) firstFailures.push(first.ms);
    const firstText = first === null ? "" : `; first failure after ${first.ms.toFixed(0)} ms (${first.partId} alone)`;
    const line = `  { name: ${JSON.stringify(name)}, caughtBy: ${JSON.stringify(caughtBy)} }, // ${ms} ms; ${seeds.join(", ") || "NOT CAUGHT"}${firstText}`;
    console.log(line);
    lines.push(line);
  }
  if (firstFailures.length > 0) {
    const sorted = [...firstFailures].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
    const line = `// median time to the first failure over ${sorted.length} caught entries: ${median.toFixed(0)} ms (slowest ${(sorted.at(-1) ?? 0).toFixed(0)} ms)`;
    console.log(line);
    lines.push(line);
  }
  return lines;
}

/** The quickest of `partIds` to reach its first failing seed, each graded alone without shrinking. */
async function firstFailureMs(
  labSlug: string,
  entry: string,
  partIds: readonly string[],
): Promise<{ partId: string; ms: number } | null> {
  let best: { partId: string; ms: number } | null = null;
  for (const partId of partIds) {
    const startedMs = performance.now();
    await gradeInProcess(labSlug, `bugs/${entry}`, { parts: [partId], shrink: false });
    const ms = performance.now() - startedMs;
    if (best === null || ms < best.ms) best = { partId, ms };
  }
  return best;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [labQuery, ...only] = process.argv.slice(2);
  if (labQuery === undefined) {
    console.error("usage: npx tsx harness/tools/tabulate-zoo.ts NN [NAME ...]");
    process.exit(2);
  }
  await tabulateZoo(labQuery, only);
}
