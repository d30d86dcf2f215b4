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
import type { Anomaly } from "../checkers/anomaly.ts";
import type { Env } from "../env.ts";
import { defaultRunLimits, type RunLimits } from "../sim/scheduler.ts";
import type { TraceRecorder } from "../sim/trace.ts";
import { World, type WorldRunResult } from "../sim/world.ts";
import { History } from "../workloads/history.ts";
import type { Implementation, Part } from "./define.ts";
import { busiest, keepTrace, pendingCalls } from "./stopped-run.ts";
import { type Verdict, verdictOfError, verdictOfLabError } from "./verdict.ts";

export interface RunSettings {
  /** Folders whose code is lab code, guarded against real clocks and randomness. */
  guardRoots: readonly string[];
  /** The implementation's folder: stack frames in it are the ones a report shows. */
  implDir: string;
  keepTrace?: boolean;
  /**
   * The lab code's log lines at this level and above go into the trace. Default "info": a stopped
   * run's report shows the learner's last warnings; `lab replay` uses "trace".
   */
  logLevel?: "silent" | "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  /** Sees every trace line (a grading worker's flight recorder: see flight-recorder.ts). */
  recorder?: TraceRecorder;
  /** Called after every event of a run (a grading worker's heartbeat, which it throttles). */
  onProgress?: () => void;
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
    logLevel: settings.logLevel ?? "info",
    guardRoots: settings.guardRoots,
    recorder: settings.recorder,
    onProgress: settings.onProgress,
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
  const limits: RunLimits = { ...defaultRunLimits, ...part.limits };
  const result = await world.run(() => part.run(ctx, scenario), limits);
  const verdict = judge(result, world, history, limits, settings);
  return { verdict, digest: result.traceDigest, simMs: result.simMs, events: result.events, world, history };
}

/** What a finished (or stopped) run earned. */
function judge(
  result: WorldRunResult<Anomaly[]>,
  world: World,
  history: History,
  limits: RunLimits,
  settings: RunSettings,
): Verdict {
  const firstError = result.labErrors[0];
  if (firstError !== undefined) return verdictOfLabError(firstError, [settings.implDir]);
  const end = result.end;
  // Only a stopped run needs its recent past, and a passing run must not pay for it.
  const kept = () => keepTrace(world.trace.recent(), world.trace.recentLogLines());
  if (end.kind === "idle") return { kind: "deadlock", atMs: end.atMs, pending: pendingCalls(history), kept: kept() };
  if (end.kind === "budget") {
    const limit = {
      simTime: limits.maxSimMs,
      events: limits.maxEvents,
      eventsAtOneInstant: limits.maxEventsPerInstant,
    }[end.spent];
    return {
      kind: "livelock",
      atMs: end.atMs,
      events: end.events,
      spent: end.spent,
      limit,
      pending: pendingCalls(history),
      busiest: busiest(world.trace.recent(), world.scheduler.recentEvents()),
      kept: kept(),
    };
  }
  // The scheduler said "done", so the workload settled (a lab error was handled above).
  if (result.outcome === null)
    return { kind: "deadlock", atMs: result.simMs, pending: pendingCalls(history), kept: kept() };
  if (result.outcome.kind === "error") return verdictOfError(result.outcome.error, "the workload", [settings.implDir]);
  const anomalies = result.outcome.value;
  if (anomalies.length === 0) return { kind: "pass" };
  if (!anomalies.some((a) => a.name === "not live")) return { kind: "anomaly", anomalies };
  const unfinished = {
    pending: pendingCalls(history),
    busiest: busiest(world.trace.recent(), world.scheduler.recentEvents()),
    logLines: kept().logLines,
  };
  return { kind: "anomaly", anomalies, unfinished };
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
  /** The run of the scenario reported (the shrunk one, for a failure), kept so no one runs it again. */
  run: ScenarioRun;
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

interface Played {
  scenario: unknown;
  run: ScenarioRun;
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
  let first: Played | null = null;
  let lastFailing: Played | null = null;
  const property = fc.asyncProperty(part.scenario, async (scenario) => {
    runs++;
    // Past the budget, report "passes": the shrinker stops descending, deterministically.
    if (runs > maxRuns) return true;
    const run = await runScenario(part, impl, seed, scenario, options);
    options.onRun?.();
    if (first === null) first = { scenario, run };
    if (run.verdict.kind !== "pass") lastFailing = { scenario, run };
    return run.verdict.kind === "pass";
  });
  const details = await fc.check(property, { seed, numRuns: 1, endOnFailure: options.shrink === false });
  const original = first as Played | null;
  if (original === null) throw new Error(`seed ${seed}: the property never ran`);

  if (!details.failed) {
    const passed: SeedResult = { seed, verdict: { kind: "pass" }, run: original.run };
    if (!options.selfCheck) return passed;
    const again = await runScenario(part, impl, seed, original.scenario, options);
    options.onRun?.();
    if (again.digest === original.run.digest) return passed;
    return {
      seed,
      verdict: { kind: "nondeterministic", digests: [original.run.digest, again.digest] },
      failure: { scenario: original.scenario, originalScenario: original.scenario, path: "0", shrinks: 0 },
      run: again,
    };
  }
  const counterexample = details.counterexample?.[0];
  const path = details.counterexamplePath ?? "0";
  // The counterexample is the last scenario that failed; run it again only if that is not so (a
  // stopped run can cost a whole budget: it is run once).
  const failing = lastFailing as Played | null;
  const shrunk =
    failing !== null && failing.scenario === counterexample
      ? failing.run
      : await runScenario(part, impl, seed, counterexample, options);
  if (failing === null || failing.scenario !== counterexample) options.onRun?.();
  // Its verdict is the one reported (shrinking may change the symptom).
  if (shrunk.verdict.kind === "pass") {
    return {
      seed,
      verdict: original.run.verdict,
      failure: {
        scenario: original.scenario,
        originalScenario: original.scenario,
        path: "0",
        shrinks: details.numShrinks,
      },
      run: original.run,
    };
  }
  return {
    seed,
    verdict: shrunk.verdict,
    failure: { scenario: counterexample, originalScenario: original.scenario, path, shrinks: details.numShrinks },
    run: shrunk,
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
