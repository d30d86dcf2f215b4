/**
 * How much of a run's budget (harness/sim/scheduler.ts `defaultRunLimits`) an implementation uses:
 * per part, the largest simulated time and event count any of its seeds took, and the real time
 * the slowest run took. The budget must sit well above what the reference solutions use (or the
 * reference would be stopped as a livelock) and low enough that a livelock is stopped in about a
 * second of real time. Rerun this when a lab or a part is added, and before changing the budget.
 *
 *     npx tsx harness/tools/run-budget.ts LAB [SEEDS=each part's default] [IMPL_DIR=solution]
 */
import path from "node:path";
import fc from "fast-check";
import { findLab, guardRootsFor, type ImplChoice, loadImpl } from "../grade/labs.ts";
import { runScenario } from "../grade/runner.ts";
import { defaultRunLimits } from "../sim/scheduler.ts";

interface Usage {
  simMsMax: number;
  eventsMax: number;
  realMsMax: number;
  instantEventsMax: number;
  worstSeed: number;
  failures: number;
}

async function measure(slug: string, seedsWanted: number | null, implDir: string): Promise<void> {
  const lab = await findLab(slug);
  const dir = path.resolve(lab.dir, implDir);
  const choice: ImplChoice = { kind: "other", dir, label: dir, flag: `--impl ${dir}` };
  const impl = await loadImpl(lab, choice);
  const settings = { guardRoots: guardRootsFor(choice), implDir: dir };
  console.log(`lab ${lab.id}, ${implDir}; budget ${JSON.stringify(defaultRunLimits)}`);
  for (const part of lab.manifest.parts) {
    const usage: Usage = { simMsMax: 0, eventsMax: 0, realMsMax: 0, instantEventsMax: 0, worstSeed: 0, failures: 0 };
    const seeds = seedsWanted ?? part.seeds;
    for (let seed = 1; seed <= seeds; seed++) {
      // The scenario `lab grade` draws for this seed: the first one fc.check generates.
      const property = fc.asyncProperty(part.scenario, async (scenario) => {
        const startedMs = performance.now();
        const run = await runScenario(part, impl, seed, scenario, settings);
        const realMs = performance.now() - startedMs;
        if (run.verdict.kind !== "pass") usage.failures++;
        if (run.events > usage.eventsMax) usage.worstSeed = seed;
        usage.simMsMax = Math.max(usage.simMsMax, run.simMs);
        usage.eventsMax = Math.max(usage.eventsMax, run.events);
        usage.realMsMax = Math.max(usage.realMsMax, realMs);
        usage.instantEventsMax = Math.max(usage.instantEventsMax, run.world.scheduler.busiestInstantEvents);
        return true;
      });
      await fc.check(property, { seed, numRuns: 1 });
    }
    console.log(
      `${part.id}  ${seeds} seeds: sim time max ${usage.simMsMax.toFixed(0)} ms, events max ${usage.eventsMax} ` +
        `(seed ${usage.worstSeed}), at one instant ${usage.instantEventsMax}, ` +
        `slowest run ${usage.realMsMax.toFixed(0)} ms real, ${usage.failures} not passing`,
    );
  }
}

const [slug, seeds, implDir] = process.argv.slice(2);
if (slug === undefined) {
  console.error("usage: npx tsx harness/tools/run-budget.ts LAB [SEEDS] [IMPL_DIR=solution]");
  process.exit(2);
}
await measure(slug, seeds === undefined ? null : Number(seeds), implDir ?? "solution");
