/**
 * Re-tabulates lab 02's bug zoo: grades every entry in bugs/ (or the ones named) at default depth
 * with shrinking, as `npx lab grade` does, and prints each entry's `caughtBy` in the shape of
 * zoo.ts, with the time it took. Run it after changing the workload, the checkers or the
 * deployment, and update zoo.ts (and the bugs' README verdicts) to match:
 *
 *   npx tsx labs/02-ordered-messages/bugs/tabulate.ts [NAME ...]
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gradeInProcess } from "#harness/grade/in-process.ts";

const SLUG = "02-ordered-messages";
const bugsDir = path.dirname(fileURLToPath(import.meta.url));
const named = process.argv.slice(2);
const names = readdirSync(bugsDir)
  .filter((name) => statSync(path.join(bugsDir, name)).isDirectory())
  .filter((name) => named.length === 0 || named.includes(name))
  .sort();

for (const name of names) {
  const startedMs = performance.now();
  const { outcomes } = await gradeInProcess(SLUG, `bugs/${name}`, { shrink: true });
  const caughtBy: Record<string, string> = {};
  const seeds: string[] = [];
  for (const [id, outcome] of outcomes) {
    const failure = outcome.failure;
    if (failure === undefined || failure === null) continue;
    const verdict = failure.verdict;
    caughtBy[id] = verdict.kind === "anomaly" ? (verdict.anomalies[0]?.name ?? "anomaly") : verdict.kind;
    seeds.push(`${id} seed ${failure.seed} after ${outcome.seedsRun}`);
  }
  const ms = (performance.now() - startedMs).toFixed(0);
  console.log(
    `  { name: ${JSON.stringify(name)}, caughtBy: ${JSON.stringify(caughtBy)} }, // ${ms} ms; ${seeds.join(", ")}`,
  );
}
