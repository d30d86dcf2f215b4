/**
 * Prints the trace digest of the reference solution's run for every part of a lab and a range of
 * seeds: one line per (part, seed), `L3.A 1 5f0e...`. A run's digest hashes every event of its
 * trace, so two listings are equal only if every run is byte-identical. Use it around a change to
 * shared harness or broker code that must not change any lab's runs:
 *
 *     npx tsx harness/tools/trace-digests.ts 03 1-10 > /tmp/before.txt
 *     (change the code)
 *     npx tsx harness/tools/trace-digests.ts 03 1-10 | diff /tmp/before.txt -
 *
 * Each seed's scenario is drawn with `fc.sample` (as lab-suite.ts's determinism test does) and run
 * once, without shrinking.
 */
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { findLab, guardRootsFor, loadImpl } from "../grade/labs.ts";
import { runScenario } from "../grade/runner.ts";

/** "1-10" or "7": the seeds, in order. */
export function parseSeeds(range: string): number[] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(range);
  if (match === null) throw new Error(`seeds: expected N or N-M, got "${range}"`);
  const first = Number(match[1]);
  const last = Number(match[2] ?? match[1]);
  if (last < first) throw new Error(`seeds: ${range} is an empty range`);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** One line per part and seed: part id, seed, verdict kind, digest. */
export async function traceDigests(labQuery: string, seeds: readonly number[]): Promise<string[]> {
  const lab = await findLab(labQuery);
  const dir = `${lab.dir}/solution`;
  const choice = { kind: "solution" as const, dir, label: dir, flag: "--solution" };
  const impl = await loadImpl(lab, choice);
  const settings = { guardRoots: guardRootsFor(choice), implDir: dir };
  const lines: string[] = [];
  for (const part of lab.manifest.parts) {
    for (const seed of seeds) {
      const [scenario] = fc.sample(part.scenario, { seed, numRuns: 1 });
      const run = await runScenario(part, impl, seed, scenario, settings);
      lines.push(`${part.id} ${seed} ${run.verdict.kind} ${run.digest}`);
    }
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [labQuery, range = "1-10"] = process.argv.slice(2);
  if (labQuery === undefined) {
    process.stderr.write("usage: npx tsx harness/tools/trace-digests.ts NN [SEEDS, e.g. 1-10]\n");
    process.exit(2);
  }
  for (const line of await traceDigests(labQuery, parseSeeds(range))) process.stdout.write(`${line}\n`);
}
