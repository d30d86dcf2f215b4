/**
 * Lab 04's offset checker (L4.E): did every commit say exactly what was done?
 *
 * A queue has one committed offset, and it means "everything below it is done". A consumer that
 * holds a queue receives messages from the offset it took the queue at, in order, and finishes
 * them in any order; at any moment the offset that is safe to commit is the lowest offset it
 * received and has not finished, or, with none in flight, one past the highest it received (before
 * it received anything, the offset it took the queue at). That value is a fact about what the
 * consumer did, not about how its tracker is built: a sorted set, a heap, a bitset or a sorted
 * array all return it. So the checker replays what the runtime reported for each tracker (the
 * queue taken, messages received, messages finished, in the order the tracker was told) and holds
 * each commit the broker accepted (`ok`) to that value at the moment it was sent:
 *
 * - `committed past unfinished`: the commit was above it, so it passed a message still in flight
 *   at that consumer (or one it had not even received). Offsets 10 to 14 in flight, 15 committed:
 *   a crash now and the group restarts at 15, and offset 10 is never handled: a lost write.
 * - `offset held back`: the commit was below it, so messages that had finished stay uncommitted.
 *   Offsets 7 to 12 finished, none in flight, 7 committed: a crash now and the group redelivers
 *   six handled messages where none needed to come again (the handler's claim makes it harmless,
 *   but it is the backlog a slow consumer shows).
 * A commit the broker did not accept, or whose reply never came, is not graded: it changed nothing
 * anyone can rely on. Each tracker is judged alone: when a queue moves, its old owner's commits are
 * held to what the old owner had done, its new owner's to what the new owner had.
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { formatMs } from "#harness/sim/trace.ts";
import { plural } from "#harness/words.ts";
import type { Op } from "#harness/workloads/history.ts";
import { TOPIC } from "../provided.ts";

/** Where and when the runtime reported a step of one consumer's handling of one queue. */
interface EventPlace {
  consumer: string;
  /** The consumer's process incarnation (a crash and restart starts a new one). */
  incarnation: number;
  queueId: number;
  atMs: number;
}

/** One step, in the order the tracker was told (commits: the moment the commit was sent). */
export type OffsetEvent = EventPlace &
  (
    | { kind: "opened"; startOffset: number }
    | { kind: "received"; offsets: readonly number[] }
    | { kind: "finished"; offset: number }
    | {
        kind: "commit";
        offset: number;
        /** The broker's answer ("ok", "fenced", "maybe" if none came in time); null while it is awaited. */
        reply: string | null;
        op?: Op;
      }
  );

export type CommitEvent = Extract<OffsetEvent, { kind: "commit" }>;

/** A handler call, to name in a report: the `handle` operation and where it ran. */
export interface HandleCall {
  consumer: string;
  queueId: number;
  queueOffset: number;
  op: Op;
}

export interface OffsetsEvidence {
  events: readonly OffsetEvent[];
  /** Every handler call, for the operations a report names. */
  handles?: readonly HandleCall[];
}

/** At most this many anomalies of each name (one per tracker); the last says how many more. */
const REPORTED_MAX = 3;

export function checkOffsets(evidence: OffsetsEvidence): Anomaly[] {
  const past: Anomaly[] = [];
  const held: Anomaly[] = [];
  for (const tenure of tenuresOf(evidence.events)) {
    const found = judge(tenure, evidence.handles ?? []);
    if (found.past !== null) past.push(found.past);
    if (found.held !== null) held.push(found.held);
  }
  return [...capped(past), ...capped(held)];
}

/** One tracker's life: the events of one consumer incarnation's hold on one queue. */
export interface Tenure {
  consumer: string;
  incarnation: number;
  queueId: number;
  startOffset: number;
  events: OffsetEvent[];
  /** The consumer restarted later: this hold ended in a crash if it was the incarnation's last. */
  crashed: boolean;
}

/** Splits the events by consumer incarnation and queue, and at each new tracker. */
export function tenuresOf(events: readonly OffsetEvent[]): Tenure[] {
  const tenures: Tenure[] = [];
  const current = new Map<string, Tenure>();
  const lastIncarnation = new Map<string, number>();
  for (const event of events) {
    lastIncarnation.set(event.consumer, Math.max(lastIncarnation.get(event.consumer) ?? 0, event.incarnation));
    const key = `${event.consumer}#${event.incarnation}/${event.queueId}`;
    if (event.kind === "opened") {
      const tenure: Tenure = {
        consumer: event.consumer,
        incarnation: event.incarnation,
        queueId: event.queueId,
        startOffset: event.startOffset,
        events: [],
        crashed: false,
      };
      tenures.push(tenure);
      current.set(key, tenure);
      continue;
    }
    current.get(key)?.events.push(event);
  }
  const lastOfIncarnation = new Map<string, Tenure>();
  for (const tenure of tenures)
    lastOfIncarnation.set(`${tenure.consumer}#${tenure.incarnation}/${tenure.queueId}`, tenure);
  for (const tenure of lastOfIncarnation.values()) {
    tenure.crashed = (lastIncarnation.get(tenure.consumer) ?? 0) > tenure.incarnation;
  }
  return tenures;
}

/** What one tracker had been told, replayed. */
class Replay {
  readonly inFlight = new Set<number>();
  readonly receivedAtMs = new Map<number, number>();
  readonly finishedAtMs = new Map<number, number>();
  highest: number | null = null;

  constructor(readonly startOffset: number) {}

  apply(event: OffsetEvent): void {
    if (event.kind === "received") {
      for (const offset of event.offsets) {
        this.inFlight.add(offset);
        this.receivedAtMs.set(offset, event.atMs);
        this.highest = Math.max(this.highest ?? offset, offset);
      }
    } else if (event.kind === "finished") {
      this.inFlight.delete(event.offset);
      this.finishedAtMs.set(event.offset, event.atMs);
    }
  }

  lowestInFlight(): number | null {
    let lowest: number | null = null;
    for (const offset of this.inFlight) lowest = Math.min(lowest ?? offset, offset);
    return lowest;
  }

  /** The offset that was safe to commit: the contract's `committable() ?? startOffset`. */
  safe(): number {
    return this.lowestInFlight() ?? (this.highest === null ? this.startOffset : this.highest + 1);
  }
}

interface Judged {
  past: Anomaly | null;
  held: Anomaly | null;
}

function judge(tenure: Tenure, handles: readonly HandleCall[]): Judged {
  const replay = new Replay(tenure.startOffset);
  const past: { commit: CommitEvent; safe: number; lowest: number | null; highest: number | null }[] = [];
  const held: { commit: CommitEvent; safe: number; finishedByMs: number; lowest: number | null }[] = [];
  for (const event of tenure.events) {
    replay.apply(event);
    if (event.kind !== "commit" || event.reply !== "ok") continue;
    const safe = replay.safe();
    const lowest = replay.lowestInFlight();
    if (event.offset > safe) past.push({ commit: event, safe, lowest, highest: replay.highest });
    if (event.offset < safe)
      held.push({ commit: event, safe, finishedByMs: finishedBy(replay, event.offset, safe), lowest });
  }
  const firstPast = past[0];
  const firstHeld = held[0];
  return {
    past: firstPast === undefined ? null : pastUnfinished(tenure, firstPast, past.length, handles),
    held: firstHeld === undefined ? null : heldBack(tenure, firstHeld, held.length, handles),
  };
}

/** When the last of the offsets from `from` up to `to` (those this tracker received) finished. */
function finishedBy(replay: Replay, from: number, to: number): number {
  let atMs = 0;
  for (let offset = Math.max(from, replay.startOffset); offset < to; offset++) {
    atMs = Math.max(atMs, replay.finishedAtMs.get(offset) ?? 0);
  }
  return atMs;
}

function pastUnfinished(
  tenure: Tenure,
  found: { commit: CommitEvent; safe: number; lowest: number | null; highest: number | null },
  count: number,
  handles: readonly HandleCall[],
): Anomaly {
  const { commit, safe, lowest } = found;
  const who = tenure.consumer;
  const later = tenure.events.find((e) => e.kind === "finished" && e.offset === safe && e.atMs >= commit.atMs);
  const fate =
    later !== undefined
      ? `it finished only at ${formatMs(later.atMs)}`
      : tenure.crashed
        ? `it never finished there: ${who} crashed first, and the group's next owner started past it`
        : `it never finished there (the queue moved away first)`;
  const what =
    lowest !== null
      ? `while offset ${lowest} was still being handled there (${fate})`
      : `though it had received messages only up to offset ${found.highest ?? tenure.startOffset - 1}, none in flight: offset ${safe} had not even been handed to a handler`;
  return anomaly(
    "committed past unfinished",
    `${committedAt(tenure, commit)} ${what}. The committed offset means "everything below is done": had ${who} crashed then, the group would have restarted at ${commit.offset} and never handled offset ${safe}. The safe offset was ${safe}, the lowest one received and not finished.${moreLikeIt(who, count)}`,
    commitOps(tenure, commit, handles, [safe]),
  );
}

function heldBack(
  tenure: Tenure,
  found: { commit: CommitEvent; safe: number; finishedByMs: number; lowest: number | null },
  count: number,
  handles: readonly HandleCall[],
): Anomaly {
  const { commit, safe, lowest } = found;
  const who = tenure.consumer;
  const below =
    commit.offset < tenure.startOffset ? `, below the offset ${tenure.startOffset} it took the queue at,` : "";
  const done =
    safe > Math.max(commit.offset, tenure.startOffset)
      ? ` though offsets ${Math.max(commit.offset, tenure.startOffset)} to ${safe - 1} had finished by ${formatMs(found.finishedByMs)}`
      : "";
  const inFlight = lowest === null ? "none was in flight" : `offset ${lowest} was the lowest in flight`;
  const redelivered = safe - commit.offset;
  return anomaly(
    "offset held back",
    `${committedAt(tenure, commit)}${below}${done}; ${inFlight}, so ${safe} was safe to commit. A crash then would make the group redeliver ${plural(redelivered, "message")} already handled, where none needed to come again.${moreLikeIt(who, count)}`,
    commitOps(tenure, commit, handles, [commit.offset, safe - 1]),
  );
}

/** How both anomalies begin: "c1 committed orders/0 at 1 (sent at 89.862ms, accepted)". */
function committedAt(tenure: Tenure, commit: CommitEvent): string {
  return `${tenure.consumer} committed ${TOPIC}/${tenure.queueId} at ${commit.offset} (sent at ${formatMs(commit.atMs)}, accepted)`;
}

/** How both anomalies end, when the tenure sent more than one such commit. */
function moreLikeIt(who: string, count: number): string {
  return count > 1 ? ` ${who} sent ${plural(count, "such commit")} while it held the queue.` : "";
}

/** The operations an anomaly marks: the commit, and the handlers of `offsets` begun by then. */
function commitOps(tenure: Tenure, commit: CommitEvent, handles: readonly HandleCall[], offsets: number[]): Op[] {
  return [
    ...(commit.op === undefined ? [] : [commit.op]),
    ...handleOps(handles, tenure.consumer, tenure.queueId, offsets, commit.atMs),
  ];
}

/** The latest call of each offset's handler on `consumer` begun by `atMs`. */
function handleOps(
  handles: readonly HandleCall[],
  consumer: string,
  queueId: number,
  offsets: readonly number[],
  atMs: number,
): Op[] {
  const ops: Op[] = [];
  for (const offset of new Set(offsets)) {
    const call = handles
      .filter((h) => h.consumer === consumer && h.queueId === queueId && h.queueOffset === offset)
      .filter((h) => h.op.invokedAtMs <= atMs)
      .at(-1);
    if (call !== undefined) ops.push(call.op);
  }
  return ops;
}

function capped(found: readonly Anomaly[]): Anomaly[] {
  if (found.length <= REPORTED_MAX) return [...found];
  const kept = found.slice(0, REPORTED_MAX);
  const last = kept.at(-1) as Anomaly;
  const rest = found.length - REPORTED_MAX;
  kept[kept.length - 1] = {
    ...last,
    explanation: `${last.explanation} (The same happened on ${plural(rest, "more queue hold")}, not listed.)`,
  };
  return kept;
}

/** After one crash: how many of the crashed consumer's messages the queue's next holder got again. */
export interface Redelivery {
  consumer: string;
  queueId: number;
  /** Messages handed out again that had finished before the crash: the backlog's cost. */
  needless: number;
  /** Messages that were still in flight at the crash: these had to come again. */
  needed: number;
}

/**
 * The backlog lesson, measured (not graded): for each hold that ended in a crash, the next hold of
 * the same queue starts at the committed offset; every message from there that had finished
 * before the crash is handled again for nothing.
 */
export function redeliveriesAfterCrashes(events: readonly OffsetEvent[]): Redelivery[] {
  const tenures = tenuresOf(events);
  const out: Redelivery[] = [];
  for (const [i, tenure] of tenures.entries()) {
    if (!tenure.crashed) continue;
    const next = tenures.slice(i + 1).find((t) => t.queueId === tenure.queueId);
    if (next === undefined) continue;
    const replay = new Replay(tenure.startOffset);
    for (const event of tenure.events) replay.apply(event);
    const needless = [...replay.finishedAtMs.keys()].filter((offset) => offset >= next.startOffset).length;
    out.push({ consumer: tenure.consumer, queueId: tenure.queueId, needless, needed: replay.inFlight.size });
  }
  return out;
}
