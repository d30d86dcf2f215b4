/**
 * A history: what the clients of a system did and saw, in simulated time.
 *
 * Each client operation is recorded at its invocation and again at its completion, as Jepsen does:
 *   ok    it happened, and the output is what the system answered;
 *   fail  it definitely did not happen (the node was down, or the system said so for certain);
 *   info  its outcome is unknown (a crash or a timeout hid the answer): it may or may not have
 *         taken effect, and a checker must allow both.
 * Faults injected by the nemesis are recorded in the same timeline, so a report can show what
 * happened between two operations. Checkers read histories, never a lab's internals.
 */
import { formatMs } from "../sim/trace.ts";

export type OpStatus = "pending" | "ok" | "fail" | "info";

export interface Op {
  /** Position in the history's timeline. */
  readonly index: number;
  readonly client: string;
  /** The operation's name, as the lab's API calls it: "save", "append", "send". */
  readonly f: string;
  readonly input: unknown;
  readonly invokedAtMs: number;
  status: OpStatus;
  output?: unknown;
  /** Why it failed or is unknown, in words. */
  note?: string;
  /** Set when the operation failed because the implementation threw: the error's name and message. */
  threw?: string;
  completedAtMs?: number;
  /**
   * The timeline's length when it completed: it completed before every operation whose index is
   * at least this, even one invoked at the same simulated instant (calls can take no time).
   */
  completedIndex?: number;
}

export interface NemesisEvent {
  readonly index: number;
  readonly atMs: number;
  readonly description: string;
}

export type HistoryEntry = { kind: "op"; op: Op } | { kind: "nemesis"; event: NemesisEvent };

export class History {
  readonly ops: Op[] = [];
  readonly timeline: HistoryEntry[] = [];

  /**
   * @param nowMs the simulated clock.
   * @param onEntry called with each entry as it is recorded, in words (replays put these in the trace).
   */
  constructor(
    private readonly nowMs: () => number,
    private readonly onEntry?: (client: string, text: string) => void,
  ) {}

  invoke(client: string, f: string, input: unknown): Op {
    const op: Op = { index: this.timeline.length, client, f, input, invokedAtMs: this.nowMs(), status: "pending" };
    this.ops.push(op);
    this.timeline.push({ kind: "op", op });
    this.onEntry?.(client, `invoke ${describeCall(op)}`);
    return op;
  }

  complete(
    op: Op,
    status: "ok" | "fail" | "info",
    details: { output?: unknown; note?: string; threw?: string } = {},
  ): void {
    if (op.status !== "pending") throw new Error(`operation ${describeOp(op)} completed twice`);
    op.status = status;
    op.completedAtMs = this.nowMs();
    op.completedIndex = this.timeline.length;
    if ("output" in details) op.output = details.output;
    if (details.threw !== undefined) op.threw = details.threw;
    const note = details.note ?? (details.threw === undefined ? undefined : `it threw ${details.threw}`);
    if (note !== undefined) op.note = note;
    this.onEntry?.(op.client, `${status} ${describeOp(op)}`);
  }

  nemesis(description: string): void {
    this.timeline.push({ kind: "nemesis", event: { index: this.timeline.length, atMs: this.nowMs(), description } });
    this.onEntry?.("nemesis", description);
  }

  /** What the nemesis did, in words, in the order it did it. */
  nemesisSaid(): string[] {
    return this.timeline.flatMap((entry) => (entry.kind === "nemesis" ? [entry.event.description] : []));
  }

  pending(): Op[] {
    return this.ops.filter((op) => op.status === "pending");
  }

  /** Nemesis events between two moments (inclusive), for explaining an anomaly. */
  faultsBetween(fromMs: number, toMs: number): NemesisEvent[] {
    const out: NemesisEvent[] = [];
    for (const entry of this.timeline) {
      if (entry.kind === "nemesis" && entry.event.atMs >= fromMs && entry.event.atMs <= toMs) out.push(entry.event);
    }
    return out;
  }
}

/** `save("v7")`: the call alone, as a learner would write it. */
export function describeCall(op: Op): string {
  return `${op.f}(${op.input === undefined ? "" : formatValue(op.input)})`;
}

/** `save("v7")`, `load() -> "v6"`: an operation and what came of it. */
export function describeOp(op: Op): string {
  const call = describeCall(op);
  switch (op.status) {
    case "pending":
      return `${call} (invoked at ${formatMs(op.invokedAtMs)}, never completed)`;
    case "ok":
      return `${call}${"output" in op ? ` -> ${formatValue(op.output)}` : ""}`;
    case "fail":
      return `${call} failed${op.note ? ` (${op.note})` : ""}`;
    case "info":
      return `${call} outcome unknown${op.note ? ` (${op.note})` : ""}`;
  }
}

/**
 * An operation of a run that an exception stopped. The call that threw says what it threw, and
 * calls still pending were cut short by the stop: "never completed" would blame them instead.
 */
export function describeOpInStoppedRun(op: Op, threw: string | undefined): string {
  if (op.status !== "pending") return describeOp(op);
  if (threw !== undefined) return `${describeCall(op)} threw ${threw}`;
  return `${describeCall(op)} (invoked at ${formatMs(op.invokedAtMs)}, still pending when the run stopped)`;
}

/** An operation with its times: `save("v7") ok, invoked 40.100ms, completed 41.200ms`. */
export function describeOpTimed(op: Op): string {
  const when =
    op.completedAtMs === undefined
      ? `invoked ${formatMs(op.invokedAtMs)}`
      : `${formatMs(op.invokedAtMs)} .. ${formatMs(op.completedAtMs)}`;
  return `${describeOp(op)}   [${when}]`;
}

/** Short, readable rendering of a value: long strings are cut in the middle. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 24)}…${value.slice(-8)}` : value);
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (Array.isArray(value) && value.length > 8) {
    return `[${value.slice(0, 6).map(formatValue).join(", ")}, … ${value.length - 6} more]`;
  }
  try {
    const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v));
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}
