/**
 * Running a part: one scenario in one world; one seed with shrinking; many seeds.
 *
 * For a seed, fast-check draws the scenario (workload and fault plan) from that seed and runs it.
 * On failure it shrinks the scenario, re-running smaller variants, and ends with the smallest one
 * that still fails, identified by (seed, path): `fc.check(..., { seed, path })` replays exactly that
 * run. Shrinking is bounded by a count of runs, not by a clock, so the shrunk plan and its replay
 * path are themselves deterministic.
 */
import fc from "fast-check";
import type { Env } from "../env.ts";
import { defaultRunLimits } from "../sim/scheduler.ts";
import { World } from "../sim/world.ts";
import { History } from "../workloads/history.ts";
import type { Implementation, Part } from "./define.ts";
import { type Verdict, verdictOfError } from "./verdict.ts";

export interface RunSettings {
  /** Folders whose code is lab code, guarded against real clocks and randomness. */
  guardRoots: readonly string[];
  /** The implementation's folder: stack frames in it are the ones a report shows. */
  implDir: string;
  keepTrace?: boolean;
  logLevel?: "silent" | "trace" | "debug" | "info" | "warn" | "error" | "fatal";
}

export interface ScenarioRun {
  verdict: Verdict;
  digest: string;
  simMs: number;
  events: number;
  world: World;
  history: History;
}

/** Plays one scenario of a part, with the seed's world, and judges it. */
export async function runScenario<TImpl>(
  part: Part<TImpl>,
  impl: Implementation<TImpl>,
  seed: number,
  scenario: unknown,
  settings: RunSettings,
): Promise<ScenarioRun> {
  const world = new World({
    ...part.world,
    seed,
    keepTrace: settings.keepTrace ?? false,
    logLevel: settings.logLevel ?? "silent",
    guardRoots: settings.guardRoots,
  });
  const history = new History(
    () => world.nowMs,
    (client, text) => world.traceEvent(client, client === "nemesis" ? "fault" : "op", text),
  );
  const copies = new WeakMap<Env, TImpl>();
  const implFor = (env: Env): TImpl => {
    const known = copies.get(env);
    if (known !== undefined) return known;
    const copy = impl.fresh();
    copies.set(env, copy);
    return copy;
  };
  const ctx = { world, impl: impl.shared, implFor, history, seed, rng: world.rootRng.fork("workload") };
  const result = await world.run(() => part.run(ctx, scenario), { ...defaultRunLimits, ...part.limits });
  let verdict: Verdict;
  const firstError = result.labErrors[0];
  if (firstError !== undefined) {
    verdict = verdictOfError(firstError.error, firstError.where, [settings.implDir]);
  } else if (result.end.kind === "idle" || result.end.kind === "timeLimit" || result.end.kind === "eventLimit") {
    const pending = history
      .pending()
      .map(
        (op) =>
          `${op.f}(${op.input === undefined ? "" : JSON.stringify(op.input)}) invoked at ${op.invokedAtMs.toFixed(3)}ms on ${op.client}`,
      );
    verdict = {
      kind: "stuck",
      atMs: result.end.atMs,
      waitingOn: pending.length > 0 ? pending : ["the workload (no operation was pending)"],
    };
  } else if (result.end.kind === "livelock") {
    verdict = { kind: "livelock", atMs: result.end.atMs, events: result.end.events };
  } else if (result.outcome === null) {
    verdict = { kind: "stuck", atMs: result.simMs, waitingOn: ["the workload"] };
  } else if (result.outcome.kind === "error") {
    verdict = verdictOfError(result.outcome.error, "the workload", [settings.implDir]);
  } else {
    const anomalies = result.outcome.value;
    verdict = anomalies.length === 0 ? { kind: "pass" } : { kind: "anomaly", anomalies };
  }
  return { verdict, digest: result.traceDigest, simMs: result.simMs, events: result.events, world, history };
}

/** The result of grading one seed. */
export interface SeedResult {
  seed: number;
  verdict: Verdict;
  /** For a failure: the shrunk scenario, its replay path, and how much shrinking removed. */
  failure?: {
    scenario: unknown;
    originalScenario: unknown;
    path: string;
    shrinks: number;
  };
}

export interface SeedOptions extends RunSettings {
  /** Shrink a failing scenario (default true). */
  shrink?: boolean;
  /** At most this many runs while shrinking. */
  maxShrinkRuns?: number;
  /** Run the seed twice and compare trace hashes. */
  selfCheck?: boolean;
  /** Called after every run, for progress and the watchdog's heartbeat. */
  onRun?: () => void;
}

/** Grades one seed: draws its scenario, runs it, and shrinks it if it fails. */
export async function checkSeed<TImpl>(
  part: Part<TImpl>,
  impl: Implementation<TImpl>,
  seed: number,
  options: SeedOptions,
): Promise<SeedResult> {
  const maxRuns = 1 + (options.shrink === false ? 0 : (options.maxShrinkRuns ?? 500));
  let runs = 0;
  let first: { scenario: unknown; verdict: Verdict; digest: string } | null = null;
  const property = fc.asyncProperty(part.scenario, async (scenario) => {
    runs++;
    // Past the budget, report "passes": the shrinker stops descending, deterministically.
    if (runs > maxRuns) return true;
    const run = await runScenario(part, impl, seed, scenario, options);
    options.onRun?.();
    if (first === null) first = { scenario, verdict: run.verdict, digest: run.digest };
    return run.verdict.kind === "pass";
  });
  const details = await fc.check(property, { seed, numRuns: 1, endOnFailure: options.shrink === false });
  const original = first as { scenario: unknown; verdict: Verdict; digest: string } | null;
  if (original === null) throw new Error(`seed ${seed}: the property never ran`);

  if (!details.failed) {
    if (!options.selfCheck) return { seed, verdict: { kind: "pass" } };
    const again = await runScenario(part, impl, seed, original.scenario, options);
    options.onRun?.();
    if (again.digest === original.digest) return { seed, verdict: { kind: "pass" } };
    return {
      seed,
      verdict: { kind: "nondeterministic", digests: [original.digest, again.digest] },
      failure: { scenario: original.scenario, originalScenario: original.scenario, path: "0", shrinks: 0 },
    };
  }
  const counterexample = details.counterexample?.[0];
  const path = details.counterexamplePath ?? "0";
  // Re-run the shrunk scenario: its verdict is the one reported (shrinking may change the symptom).
  const shrunk = await runScenario(part, impl, seed, counterexample, options);
  options.onRun?.();
  const verdict = shrunk.verdict.kind === "pass" ? original.verdict : shrunk.verdict;
  return {
    seed,
    verdict,
    failure: {
      scenario: shrunk.verdict.kind === "pass" ? original.scenario : counterexample,
      originalScenario: original.scenario,
      path: shrunk.verdict.kind === "pass" ? "0" : path,
      shrinks: details.numShrinks,
    },
  };
}

/** Replays exactly the scenario a (seed, path) pair names, as a failure report printed it. */
export async function replayScenario<TImpl>(
  part: Part<TImpl>,
  impl: Implementation<TImpl>,
  seed: number,
  path: string,
  settings: RunSettings,
): Promise<{ scenario: unknown; run: ScenarioRun }> {
  let captured: { scenario: unknown; run: ScenarioRun } | null = null;
  const property = fc.asyncProperty(part.scenario, async (scenario) => {
    const run = await runScenario(part, impl, seed, scenario, settings);
    captured = { scenario, run };
    return run.verdict.kind === "pass";
  });
  await fc.check(property, { seed, path, numRuns: 1, endOnFailure: true });
  if (captured === null) throw new Error(`no scenario at seed ${seed}, path ${path}`);
  return captured;
}
