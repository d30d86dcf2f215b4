/**
 * Re-tabulates a lab's bug zoo: grades every entry in its bugs/ (or the ones named) at default
 * depth with shrinking, as `npx lab grade` does, and prints each entry's `caughtBy` as the lab's
 * bugs/zoo.json holds it, with the seed that caught it and the time it took. With `--write` it
 * also writes what it found into bugs/zoo.json (an entry not listed yet joins a group titled
 * "new entries: move each to its group"), so the file is never typed in by hand. It also measures each
 * entry's time to its first failure: each catching part graded alone from seed 1, without
 * shrinking, until its first failing seed; the entry's figure is the quickest of its parts (what a
 * learner grading that part waits for). The last line gives the median over the entries, against
 * issue 7's budget of 1 s. Run it after changing
 * fault plans, workloads or checkers, then refresh the entries' READMEs
 * (`npx tsx harness/tools/refresh-bug-reports.ts NN`) to match:
 *
 *     npx tsx harness/tools/tabulate-zoo.ts NN [NAME ...] [--write]
 *     npx tsx harness/tools/tabulate-zoo.ts NN --first-failures   # only the times, from zoo.json
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { gradeInProcess } from "../grade/in-process.ts";
import { findLab, REPO_ROOT } from "../grade/labs.ts";
import { readZoo, readZooFile, writeZooFile, type ZooEntry, zooPath } from "../grade/zoo.ts";

const NEW_GROUP = "new entries: move each to its group";

/**
 * Each entry's catches: part id -> the anomaly (or verdict kind) its report leads with. With
 * `write`, the lab's bugs/zoo.json is updated to match.
 */
export async function tabulateZoo(labQuery: string, only: readonly string[] = [], write = false): Promise<string[]> {
  const lab = await findLab(labQuery);
  const bugsDir = path.join(lab.dir, "bugs");
  const names = readdirSync(bugsDir)
    .filter((name) => statSync(path.join(bugsDir, name)).isDirectory())
    .filter((name) => only.length === 0 || only.includes(name))
    .sort();
  const lines: string[] = [];
  const found: ZooEntry[] = [];
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
    found.push({ name, caughtBy });
    const line = `  ${JSON.stringify({ name, caughtBy })} // ${ms} ms; ${seeds.join(", ") || "NOT CAUGHT"}${firstText}`;
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
  if (write) writeFound(lab.dir, found);
  return lines;
}

/** Writes the catches `found` into the lab's zoo file, in place; new entries go to NEW_GROUP. */
function writeFound(labDir: string, found: readonly ZooEntry[]): void {
  const zoo = readZooFile(labDir);
  const byName = new Map(found.map((entry) => [entry.name, entry]));
  for (const group of zoo.groups) {
    group.entries = group.entries.map((entry) => byName.get(entry.name) ?? entry);
    for (const entry of group.entries) byName.delete(entry.name);
  }
  if (byName.size > 0) {
    const fresh = zoo.groups.find((group) => group.title === NEW_GROUP);
    if (fresh === undefined) zoo.groups.push({ title: NEW_GROUP, entries: [...byName.values()] });
    else fresh.entries.push(...byName.values());
  }
  writeZooFile(labDir, zoo);
  // The project's formatter owns the file's layout (lines it would wrap, spaces in braces).
  const biome = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, "node_modules/@biomejs/biome/bin/biome"), "format", "--write", zooPath(labDir)],
    { encoding: "utf8" },
  );
  console.log(
    biome.status === 0
      ? `wrote ${zooPath(labDir)}`
      : `wrote ${zooPath(labDir)}; formatting it failed: ${biome.stderr.trim()}`,
  );
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

/**
 * Only the time to the first failure, for the parts bugs/zoo.json says catch each entry: minutes
 * instead of the full tabulation's hour on a busy machine, when the zoo itself is not in doubt.
 */
export async function firstFailures(labQuery: string): Promise<void> {
  const lab = await findLab(labQuery);
  const zoo = readZoo(lab.dir);
  const times: number[] = [];
  for (const entry of zoo) {
    const first = await firstFailureMs(lab.slug, entry.name, Object.keys(entry.caughtBy));
    if (first === null) continue;
    times.push(first.ms);
    console.log(`  ${entry.name}: first failure after ${first.ms.toFixed(0)} ms (${first.partId} alone)`);
  }
  const sorted = times.sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  console.log(
    `// median time to the first failure over ${sorted.length} entries: ${median.toFixed(0)} ms (slowest ${(sorted.at(-1) ?? 0).toFixed(0)} ms)`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const firstOnly = args.includes("--first-failures");
  const write = args.includes("--write");
  const [labQuery, ...only] = args.filter((arg) => arg !== "--first-failures" && arg !== "--write");
  if (labQuery === undefined) {
    console.error("usage: npx tsx harness/tools/tabulate-zoo.ts NN [NAME ...] [--write] | NN --first-failures");
    process.exit(2);
  }
  if (firstOnly) await firstFailures(labQuery);
  else await tabulateZoo(labQuery, only, write);
}
