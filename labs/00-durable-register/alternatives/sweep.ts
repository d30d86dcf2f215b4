/**
 * Sweeps a correct alternative over many seeds per part and reports EVERY failing seed, grouped by
 * its headline, rather than stopping at the first one as `npx lab grade` does. A correct
 * alternative must have none; when it has some, the groups tell one false failure of the grader
 * (for example a node that threw EIO while starting) from another, and each group names its lowest
 * seed and the command that replays it.
 *
 *     npx tsx labs/00-durable-register/alternatives/sweep.ts LAB IMPL_DIR [SEEDS=3000] [--part ID]... [--first S]
 *     nice -n 10 npx tsx labs/00-durable-register/alternatives/sweep.ts 00 alternatives/two-slots 3000
 *
 * IMPL_DIR is relative to the lab's folder (or absolute). Seeds run without shrinking; replay a
 * reported seed with `npx lab grade LAB --impl ... --part ID --seed S` to get the shrunk report.
 * It is used for labs 00 and 02 alike, so it lives with the first lab's alternatives.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { gradePart } from "#harness/grade/grade-part.ts";
import { findLab, guardRootsFor, type ImplChoice, loadImpl } from "#harness/grade/labs.ts";
import { headline } from "#harness/grade/verdict.ts";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { part: { type: "string", multiple: true }, first: { type: "string" } },
});
const [labQuery, implArg, seedsArg] = positionals;
if (labQuery === undefined || implArg === undefined) {
  console.error("usage: sweep.ts LAB IMPL_DIR [SEEDS] [--part ID]... [--first S]");
  process.exit(2);
}
const seedCount = Number(seedsArg ?? 3000);
const firstSeed = Number(values.first ?? 1);

const lab = await findLab(labQuery);
const dir = path.resolve(lab.dir, implArg);
const choice: ImplChoice = { kind: "other", dir, label: path.relative(process.cwd(), dir), flag: `--impl ${dir}` };
const impl = await loadImpl(lab, choice);
const options = { guardRoots: guardRootsFor(choice), implDir: dir, shrink: false, selfCheckEvery: 0 };

let failures = 0;
for (const part of lab.manifest.parts) {
  if (values.part && !values.part.includes(part.id)) continue;
  const startedMs = performance.now();
  /** Headline with seed-specific numbers blurred, so that one kind of failure is one group. */
  const groups = new Map<string, number[]>();
  for (let seed = firstSeed; seed < firstSeed + seedCount; seed++) {
    const outcome = await gradePart(part, impl, [seed], options);
    if (outcome.failure === null) continue;
    failures++;
    const key = headline(outcome.failure.verdict)
      .replace(/\d+(\.\d+)?/g, "#")
      .replace(/'[^']*'/g, "'…'");
    groups.set(key, [...(groups.get(key) ?? []), seed]);
  }
  const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  const failed = [...groups.values()].reduce((sum, seeds) => sum + seeds.length, 0);
  console.log(`${part.id}  ${seedCount - failed}/${seedCount} seeds passed from seed ${firstSeed} (${seconds} s)`);
  for (const [key, seeds] of groups) {
    console.log(`  ${seeds.length} x ${key}`);
    console.log(`    seeds ${seeds.slice(0, 12).join(", ")}${seeds.length > 12 ? ", ..." : ""}`);
    console.log(`    npx lab grade ${labQuery} --impl ${choice.label} --part ${part.id} --seed ${seeds[0]}`);
  }
}
process.exit(failures > 0 ? 1 : 0);
