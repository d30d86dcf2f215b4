/**
 * Grading one part on a list of seeds: the loop shared by the worker threads of `lab grade` and by
 * the in-process grading the test suite uses.
 *
 * Seeds run in order and grading stops at the first failing one, so the failure reported is always
 * the lowest failing seed: the same report on every machine. A sample of passing seeds is run twice
 * to check that the implementation is deterministic.
 */
import { formatMs } from "../sim/trace.ts";
import { describeCall, describeOp, describeOpInStoppedRun, type History, type Op } from "../workloads/history.ts";
import type { Implementation, Part } from "./define.ts";
import { checkSeed, type SeedOptions } from "./runner.ts";
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
  /** Things about the implementation that may explain the failure (module-level state). */
  notes?: string[];
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

/**
 * Verdicts that a smaller scenario explains better. Not a livelock: every run of it spends the
 * whole budget (about a second), so shrinking would take minutes, and what explains it is what it
 * keeps doing, which the verdict counts, not the faults that led there.
 */
function shrinkable(verdict: Verdict): boolean {
  return verdict.kind === "anomaly" || verdict.kind === "exception" || verdict.kind === "deadlock";
}

export async function gradePart<TImpl>(
  part: Part<TImpl>,
  impl: Implementation<TImpl>,
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
        timeline: timelineOf(result.run.history, result.verdict),
        notes: notesOn(part, impl, result.verdict),
      },
    };
  }
  return { partId: part.id, seedsRun, failure: null };
}

/**
 * Module-level state is the likely cause of a lost or garbled value: name it. A stub of an earlier
 * part that stops this one is named as such, so that "L2.D is not implemented yet" under L2.E's
 * heading does not read as a grader that mixed up its parts.
 */
function notesOn(part: Part<unknown>, impl: Implementation<unknown>, verdict: Verdict): string[] {
  if (verdict.kind === "notImplemented" && /^L\d+\.[A-Z]$/.test(verdict.part) && verdict.part !== part.id)
    return [`${part.id} runs your ${verdict.part} code as well, so it can be graded once ${verdict.part} is done.`];
  if (impl.moduleState.length === 0 || verdict.kind !== "anomaly") return [];
  return [
    `Your files keep state at module level: ${impl.moduleState.join(", ")}.`,
    "Each node incarnation loads your modules afresh, as a restarted process does, so that state is gone after a",
    "crash and is never shared between two nodes. If it changes while running, keep it in the object you return.",
  ];
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
  const thrower = verdict.kind === "exception" ? callThatThrew(history, verdict.where) : undefined;
  const stopped = verdict.kind === "exception" || verdict.kind === "determinism";
  const lines: string[] = [];
  for (const entry of history.timeline) {
    if (entry.kind === "op" && entry.op.index > lastInvolved) break;
    if (entry.kind === "nemesis") {
      if (entry.event.index > lastInvolved) break;
      lines.push(`  ${formatMs(entry.event.atMs).padStart(11)}  !! ${entry.event.description}`);
    } else {
      const op = entry.op;
      const threw = op === thrower && verdict.kind === "exception" ? verdict.message : undefined;
      const mark = involved.has(op.index) || threw !== undefined ? ">" : " ";
      const end = op.completedAtMs === undefined ? "" : ` .. ${formatMs(op.completedAtMs)}`;
      const text = stopped ? describeOpInStoppedRun(op, threw) : describeOp(op);
      lines.push(`${mark} ${formatMs(op.invokedAtMs).padStart(11)}  ${op.client}: ${text}${end}`);
    }
  }
  return abridge(lines, TIMELINE_LINES_MAX);
}

/**
 * The pending call an exception came from: the verdict names it as the call was written
 * ("save(\"v3\")"); the latest pending one of that name is the one that was running.
 */
function callThatThrew(history: History, where: string): Op | undefined {
  return history
    .pending()
    .filter((op) => describeCall(op) === where)
    .at(-1);
}

/**
 * Shortens a long timeline to about `max` lines without ever dropping what explains the failure:
 * every line marked `>` (an operation the anomaly names) and every fault (`!!`) stays, with one
 * line of context on each side, plus the beginning and the end. Gaps say how much was cut.
 */
export function abridge(lines: readonly string[], max: number): string[] {
  if (lines.length <= max) return [...lines];
  const keep = new Set<number>();
  const tailSize = Math.max(4, Math.floor(max / 3));
  for (let i = 0; i < Math.min(4, lines.length); i++) keep.add(i);
  for (let i = Math.max(0, lines.length - tailSize); i < lines.length; i++) keep.add(i);
  for (const [i, line] of lines.entries()) {
    if (line.startsWith(">") || line.includes("  !! "))
      for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < lines.length) keep.add(j);
  }
  const out: string[] = [];
  let skipped = 0;
  for (const [i, line] of lines.entries()) {
    if (!keep.has(i)) {
      skipped++;
      continue;
    }
    if (skipped > 0) out.push(`  ... ${skipped} more line${skipped === 1 ? "" : "s"} (the replay has them all) ...`);
    skipped = 0;
    out.push(line);
  }
  return out;
}
