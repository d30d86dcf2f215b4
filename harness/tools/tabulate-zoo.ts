/**
 * Re-tabulates a lab's bug zoo: grades every entry in its bugs/ (or the ones named) at default
 * depth with shrinking, as `npx lab grade` does, and prints each entry's `caughtBy` in the shape of
 * the lab's bugs/zoo.ts, with the seed that caught it and the time it took. Run it after changing
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
    const line = `  { name: ${JSON.stringify(name)}, caughtBy: ${JSON.stringify(caughtBy)} }, // ${ms} ms; ${seeds.join(", ") || "NOT CAUGHT"}`;
    console.log(line);
    lines.push(line);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [labQuery, ...only] = process.argv.slice(2);
  if (labQuery === undefined) {
    console.error("usage: npx tsx harness/tools/tabulate-zoo.ts NN [NAME ...]");
    process.exit(2);
  }
  await tabulateZoo(labQuery, only);
}
