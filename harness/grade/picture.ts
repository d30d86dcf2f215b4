/**
 * A replayed run as data for a space-time diagram: every kept trace entry, every client
 * operation with its times and outcome, the faults, and which operations the verdict is about.
 *
 * It is built in the grading worker from the run (the history and the world's kept trace), sent
 * to the main thread as plain data, and drawn there (html.ts). Nothing here decides a verdict:
 * the picture only shows what the grader already judged, in the same words.
 */

import type { TraceEntry } from "../sim/trace.ts";
import { describeCall, describeOp, type History } from "../workloads/history.ts";
import type { Verdict } from "./verdict.ts";

export interface PictureOp {
  index: number;
  client: string;
  /** As the learner would write it: `save("v1")`. */
  call: string;
  /** The call and what came of it, as the text report says it. */
  outcome: string;
  status: "pending" | "ok" | "fail" | "info";
  invokedAtMs: number;
  completedAtMs?: number;
  /** The verdict is about this operation: the report names it (or it never completed). */
  flagged: boolean;
}

export interface PictureFault {
  atMs: number;
  description: string;
}

export interface RunPicture {
  entries: TraceEntry[];
  /** Trace entries left out between the first and last kept ones (a very long run). */
  omittedEntries: number;
  ops: PictureOp[];
  faults: PictureFault[];
  simMs: number;
}

/** The picture of a run, from what the grader recorded and what it concluded. */
export function pictureOf(
  history: History,
  kept: { entries: TraceEntry[]; omitted: number },
  verdict: Verdict,
  simMs: number,
): RunPicture {
  const flagged = flaggedOps(history, verdict);
  const ops: PictureOp[] = history.ops.map((op) => ({
    index: op.index,
    client: op.client,
    call: describeCall(op),
    outcome: describeOp(op),
    status: op.status,
    invokedAtMs: op.invokedAtMs,
    ...(op.completedAtMs === undefined ? {} : { completedAtMs: op.completedAtMs }),
    flagged: flagged.has(op.index),
  }));
  const faults = history.timeline.flatMap((entry) =>
    entry.kind === "nemesis" ? [{ atMs: entry.event.atMs, description: entry.event.description }] : [],
  );
  return { entries: kept.entries, omittedEntries: kept.omitted, ops, faults, simMs };
}

/**
 * The operations the verdict is about: an anomaly's own operations; for a run that stopped or
 * was not live, the calls that never completed.
 */
function flaggedOps(history: History, verdict: Verdict): Set<number> {
  const flagged = new Set<number>();
  if (verdict.kind === "anomaly") {
    for (const anomaly of verdict.anomalies) for (const op of anomaly.ops) flagged.add(op.index);
  }
  const stopped = verdict.kind === "deadlock" || verdict.kind === "livelock" || verdict.kind === "noYield";
  const notLive = verdict.kind === "anomaly" && verdict.unfinished !== undefined;
  if (stopped || notLive) {
    for (const op of history.ops) if (op.status === "pending") flagged.add(op.index);
  }
  if (verdict.kind === "exception") {
    for (const op of history.ops) if (op.threw !== undefined) flagged.add(op.index);
  }
  return flagged;
}
