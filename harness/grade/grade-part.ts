/**
 * Grading one part on a list of seeds: the loop shared by the worker threads of `lab grade` and by
 * the in-process grading the test suite uses.
 *
 * Seeds run in order and grading stops at the first failing one, so the failure reported is always
 * the lowest failing seed: the same report on every machine. A sample of passing seeds is run twice
 * to check that the implementation is deterministic.
 */
import { formatMs } from "../sim/trace.ts";
import { describeOp, type History } from "../workloads/history.ts";
import type { Part } from "./define.ts";
import { checkSeed, runScenario, type SeedOptions } from "./runner.ts";
import type { Verdict } from "./verdict.ts";

export interface PartFailure {
  seed: number;
  verdict: Verdict;
  /** The shrunk scenario in words (the fault plan first). */
  scenarioLines: string[];
  /** How many events the fault plan had before shrinking, and after. */
  planEvents: { before: number; after: number };
  shrinks: number;
  /** The replay path within the seed. */
  path: string;
  /** What happened in the shrunk run: operations and faults, in order. */
  timeline: string[];
}

export interface PartOutcome {
  partId: string;
  seedsRun: number;
  failure: PartFailure | null;
}

export interface GradePartOptions extends Omit<SeedOptions, "selfCheck"> {
  /** Run every n-th seed (and the first two) twice to check determinism; 0 turns it off. */
  selfCheckEvery?: number;
  /** Called before each seed, for progress and the watchdog. */
  onSeed?: (seed: number) => void;
}

/** Verdicts that no smaller scenario would explain better: shrinking them only wastes time. */
function shrinkable(verdict: Verdict): boolean {
  return (
    verdict.kind === "anomaly" ||
    verdict.kind === "exception" ||
    verdict.kind === "stuck" ||
    verdict.kind === "livelock"
  );
}

export async function gradePart<TImpl>(
  part: Part<TImpl>,
  impl: TImpl,
  seeds: readonly number[],
  options: GradePartOptions,
): Promise<PartOutcome> {
  const every = options.selfCheckEvery ?? 50;
  let seedsRun = 0;
  for (const [i, seed] of seeds.entries()) {
    options.onSeed?.(seed);
    const selfCheck = every > 0 && (i < 2 || i % every === 0);
    // A first run without shrinking tells whether shrinking is worth it.
    let result = await checkSeed(part, impl, seed, { ...options, shrink: false, selfCheck });
    seedsRun++;
    if (result.verdict.kind === "pass") continue;
    if (shrinkable(result.verdict) && options.shrink !== false) {
      result = await checkSeed(part, impl, seed, { ...options, shrink: true, selfCheck: false });
    }
    const failure = result.failure;
    const scenario = failure?.scenario;
    const rerun = await runScenario(part, impl, seed, scenario, options);
    return {
      partId: part.id,
      seedsRun,
      failure: {
        seed,
        verdict: result.verdict,
        scenarioLines: scenario === undefined ? [] : part.describe(scenario),
        planEvents: { before: countPlanEvents(failure?.originalScenario), after: countPlanEvents(scenario) },
        shrinks: failure?.shrinks ?? 0,
        path: failure?.path ?? "0",
        timeline: timelineOf(rerun.history, result.verdict),
      },
    };
  }
  return { partId: part.id, seedsRun, failure: null };
}

function countPlanEvents(scenario: unknown): number {
  const plan = (scenario as { plan?: { events?: unknown[] } } | undefined)?.plan;
  return Array.isArray(plan?.events) ? plan.events.length : 0;
}

const TIMELINE_LINES_MAX = 40;

/** The run as a learner would narrate it; the operations an anomaly names are marked with `>`. */
function timelineOf(history: History, verdict: Verdict): string[] {
  const involved = new Set<number>();
  if (verdict.kind === "anomaly") for (const a of verdict.anomalies) for (const op of a.ops) involved.add(op.index);
  const lastInvolved = involved.size > 0 ? Math.max(...involved) : history.timeline.length - 1;
  const lines: string[] = [];
  for (const entry of history.timeline) {
    if (entry.kind === "op" && entry.op.index > lastInvolved) break;
    if (entry.kind === "nemesis") {
      if (entry.event.index > lastInvolved) break;
      lines.push(`  ${formatMs(entry.event.atMs).padStart(11)}  !! ${entry.event.description}`);
    } else {
      const op = entry.op;
      const mark = involved.has(op.index) ? ">" : " ";
      const end = op.completedAtMs === undefined ? "" : ` .. ${formatMs(op.completedAtMs)}`;
      lines.push(`${mark} ${formatMs(op.invokedAtMs).padStart(11)}  ${op.client}: ${describeOp(op)}${end}`);
    }
  }
  if (lines.length <= TIMELINE_LINES_MAX) return lines;
  const head = lines.slice(0, 8);
  const tail = lines.slice(-(TIMELINE_LINES_MAX - 9));
  return [
    ...head,
    `  ... ${lines.length - head.length - tail.length} more lines (the replay has them all) ...`,
    ...tail,
  ];
}
