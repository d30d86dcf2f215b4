/**
 * Part L4.D's checks beyond check-effects.ts: what the Redis window promises, read from what
 * happened at Redis (its command history and incidents) and at the pricing service (every call),
 * never from how the handler is written. The key names are the contract's (`leaseKey`, `doneKey`):
 * Redis's history is this part's observable interface, as committed rows are L4.B's.
 *
 * Anomalies, each with a minimal counterexample:
 * - `lost write`, acknowledged before durable: c2 answered "done" for o1 step 2 at 40 ms, and the
 *   database committed no application of it until 55 ms (or never). Had c2's copy been the last
 *   one, the effect would be lost. (A done mark set before the work, or trusted while the work
 *   still ran, answers so.)
 * - `overlap`, a lease taken from its holder: c1 held lease:o1/2 (until 110 ms on Redis's clock);
 *   c2 removed or overwrote it at 60 ms (a plain DEL, a SET without NX). A lease is released by
 *   its holder only, or it keeps nobody out.
 * - `overlap`, two quotes at once under a live lease: c1 quoted o1/2 from 11 to 31 ms under its
 *   lease; c2 asked Redis about the lease at 15 ms and quoted o1/2 at 20 ms anyway. Overlaps
 *   after a lease expired (a pause outlived it) or was lost to Redis (a restart, an eviction, a
 *   clock jump) are allowed: that is all a lease promises, and the database still deduplicates;
 *   so is quoting without Redis (a consumer that never reached it since the lease was taken).
 *   A lease belongs to a consumer (its value is the consumer id), so two handlers of one consumer
 *   are not told apart.
 * - `overlap`, two quotes at once that no lease could let through, whether or not Redis's history
 *   holds a lease: c1 and c2 were both handed m-1 (o1/2) at 10 ms; c1 quoted it from 12 to 32 ms
 *   and c2 from 20 ms. The rule: two consumers' quotes of one key overlap, the later one starts
 *   less than `leaseMs` after the earlier of the two messages' arrivals (so a lease either took
 *   after its arrival was still alive: a lease lasts `leaseMs` from its SET, and renewing only
 *   extends it), from that arrival to the later quote Redis answered both consumers normally (no
 *   cut, no lost reply, no restart) and lost no key (no eviction, no clock jump), and neither
 *   consumer had another call of that key running then (another call of the same consumer may
 *   release the consumer's lease). Then the consumer that took the lease second cannot have
 *   held it; quoting without having it is the bug, taken or not.
 * - `wasted work`, a duplicate the done mark should have answered: c1 quoted o1/2 at 10 ms,
 *   the database committed it at 30 ms, done:o1/2 was set at 32 ms; m-5 (o1/2 again) reached c2 at
 *   100 ms and c2 quoted it at 101 ms. The rule: a quote whose message reached its handler after
 *   the operation was committed, with Redis answering that consumer normally from then to the
 *   quote, and a done mark there all along: either seen in Redis's history (set before the
 *   arrival, and neither expired nor removed by a restart, an eviction or a clock jump before the
 *   quote), or owed by the contract (a handler that quoted the key and answered "done" before the
 *   arrival, with Redis answering it normally from its quote's end to its answer, sets a mark
 *   lasting `windowMs`; the later quote starts within `windowMs` of that quote's end, with no key
 *   lost in between). A read of the mark anywhere in between said "done". Not findings: a mark
 *   whose SET failed or whose reply was lost, a mark lost to Redis, one that ran out, or a
 *   duplicate that arrived before the work was done (its read may have come first).
 * Redis's faults are read from `WatchedRedis` (redis-troubles.ts), in world time: a link fault
 * counts until `brokenConnectionMs` after it ends, the time a failed call takes to be heard.
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { RedisCommand } from "#harness/redis.ts";
import type { RedisIncident, RedisRecord } from "#harness/sim/redis.ts";
import { formatMs } from "#harness/sim/trace.ts";
import { doneKey, leaseKey } from "../provided.ts";
import type { Application } from "./check-effects.ts";
import type { Deployment } from "./deployment.ts";
import type { QuoteCall } from "./pricing.ts";
import { answeredNormally, calmFor, keptKeys, type RedisTroubles, serverAtMs } from "./redis-troubles.ts";
import { standInKey, standInKeyOf } from "./stand-ins.ts";

/** One holder's time with a lease key, on Redis's clock. */
export interface Tenure {
  key: string;
  owner: string;
  fromMs: number;
  /** When it would expire (null: never), as last set or extended. */
  deadlineMs: number | null;
  /** When it ended (null: still held at the end of the history). */
  endMs: number | null;
  /** What ended it: its deadline, Redis itself, or a command of some node. */
  endedBy:
    | { kind: "expiry" }
    | { kind: "incident"; what: RedisIncident["what"] }
    | { kind: "command"; nodeId: string; command: RedisCommand }
    | null;
}

/**
 * Replays the lease keys' history (or, with `prefix` `doneKey("")`, the done marks'): who held
 * which key when, and what ended each tenure.
 */
export function tenuresOf(
  history: readonly RedisRecord[],
  incidents: readonly RedisIncident[],
  prefix: string = leaseKey(""),
): Tenure[] {
  type Step = { atMs: number; record?: RedisRecord; incident?: RedisIncident };
  const steps: Step[] = [
    ...history.filter((r) => r.command.key.startsWith(prefix)).map((record) => ({ atMs: record.serverMs, record })),
    ...incidents.map((incident) => ({ atMs: incident.serverMs, incident })),
  ].sort((a, b) => a.atMs - b.atMs);
  const all: Tenure[] = [];
  const current = new Map<string, Tenure>();
  const end = (key: string, atMs: number, endedBy: Tenure["endedBy"]): void => {
    const tenure = current.get(key);
    if (tenure === undefined) return;
    tenure.endMs = atMs;
    tenure.endedBy = endedBy;
    current.delete(key);
  };
  const expireUpTo = (atMs: number): void => {
    for (const [key, tenure] of current) {
      // A key is alive while Redis's time is at most its deadline.
      if (tenure.deadlineMs !== null && tenure.deadlineMs < atMs) end(key, tenure.deadlineMs, { kind: "expiry" });
    }
  };
  for (const step of steps) {
    expireUpTo(step.atMs);
    if (step.incident !== undefined) {
      const { incident } = step;
      const keys = incident.what === "restart" ? [...current.keys()] : incident.keys;
      for (const key of keys) end(key, step.atMs, { kind: "incident", what: incident.what });
      continue;
    }
    const record = step.record;
    if (record === undefined) continue;
    const { command, result } = record;
    const byCommand = { kind: "command" as const, nodeId: record.nodeId, command };
    if (command.op === "set" && result === "OK") {
      end(command.key, step.atMs, byCommand);
      const tenure: Tenure = {
        key: command.key,
        owner: record.nodeId,
        fromMs: step.atMs,
        deadlineMs: command.pxMs === null ? null : step.atMs + command.pxMs,
        endMs: null,
        endedBy: null,
      };
      all.push(tenure);
      current.set(command.key, tenure);
    } else if ((command.op === "del" && result === 1) || (command.op === "delIfEquals" && result === true)) {
      end(command.key, step.atMs, byCommand);
    } else if ((command.op === "pexpire" || command.op === "pexpireIfEquals") && result === true) {
      const tenure = current.get(command.key);
      if (command.ms <= 0) end(command.key, step.atMs, byCommand);
      else if (tenure !== undefined) tenure.deadlineMs = step.atMs + command.ms;
    }
  }
  expireUpTo(Number.POSITIVE_INFINITY);
  return all;
}

/** True if the tenure was cut short by another node's command. */
function takenFrom(tenure: Tenure): boolean {
  return tenure.endedBy?.kind === "command" && tenure.endedBy.nodeId !== tenure.owner;
}

/** Alive at `atMs`, or would have been had another node not taken it. */
function rightfullyHeldAt(tenure: Tenure, atMs: number): boolean {
  if (tenure.fromMs > atMs) return false;
  if (tenure.endMs === null || tenure.endMs >= atMs) return true;
  return takenFrom(tenure) && (tenure.deadlineMs === null || tenure.deadlineMs >= atMs);
}

function describeCommand(command: RedisCommand): string {
  switch (command.op) {
    case "set":
      return `SET ${command.key}${command.nx ? " NX" : " without NX"}`;
    case "del":
      return `DEL ${command.key} (a plain DEL: it does not check whose lease it is)`;
    case "delIfEquals":
      return `a compare-and-delete of ${command.key} with the value "${command.value}"`;
    default:
      return `${command.op.toUpperCase()} ${command.key}`;
  }
}

/** A lease removed or overwritten by a node other than its holder, before it expired. */
export function checkTakenLeases(tenures: readonly Tenure[]): Anomaly[] {
  const out: Anomaly[] = [];
  for (const tenure of tenures) {
    if (!takenFrom(tenure) || tenure.endedBy?.kind !== "command" || tenure.endMs === null) continue;
    const until = tenure.deadlineMs === null ? "no expiry" : `until ${formatMs(tenure.deadlineMs)}`;
    out.push(
      anomaly(
        "overlap",
        `${tenure.owner} held ${tenure.key} (taken at ${formatMs(tenure.fromMs)}, ${until} on Redis's clock), and ${tenure.endedBy.nodeId} ended it at ${formatMs(tenure.endMs)} with ${describeCommand(tenure.endedBy.command)}: from then on another consumer can take the key's work while ${tenure.owner} still does it. A lease is taken with SET NX and released only by its holder (compare-and-delete)`,
      ),
    );
  }
  return out;
}

/**
 * Two quotes of one key at once, the later one by a consumer that asked Redis about the lease
 * while the earlier caller held it. A quote `excused` says its handler had just been told Redis
 * could not take its lease command (window.ts: a SET of the lease that failed during that
 * handler's run) is not one: that handler never heard whose the lease was, and the contract lets
 * it work without Redis, the database deciding; another handler of the same consumer may have
 * heard it, and Redis cannot tell two handlers of one consumer apart.
 */
export function checkQuoteOverlaps(
  calls: readonly QuoteCall[],
  tenures: readonly Tenure[],
  history: readonly RedisRecord[],
  excused: (call: QuoteCall) => boolean = () => false,
): Anomaly[] {
  const out: Anomaly[] = [];
  const reported = new Set<string>();
  for (const later of calls) {
    if (excused(later)) continue;
    const lease = leaseKey(later.key);
    for (const earlier of calls) {
      // The lease's owner is a consumer (its value is the consumer id), not one handler: Redis
      // cannot tell two handlers of one consumer apart, and neither can this check.
      if (earlier.nodeId === later.nodeId || earlier.key !== later.key) continue;
      const at = later.startServerMs;
      if (!(earlier.startServerMs <= at && at < earlier.endServerMs)) continue;
      const held = tenures.find(
        (t) =>
          t.key === lease && t.owner === earlier.nodeId && t.fromMs <= earlier.startServerMs && rightfullyHeldAt(t, at),
      );
      if (held === undefined) continue;
      const asked = history.find(
        (r) => r.nodeId === later.nodeId && r.command.key === lease && r.serverMs >= held.fromMs && r.serverMs <= at,
      );
      if (asked === undefined || reported.has(later.key)) continue;
      reported.add(later.key);
      out.push(
        anomaly(
          "overlap",
          `${earlier.nodeId} quoted ${later.key} (message ${earlier.messageId}) from ${formatMs(earlier.startServerMs)} to ${formatMs(earlier.endServerMs)} holding ${lease} (taken at ${formatMs(held.fromMs)}); ${later.nodeId} ran ${describeCommand(asked.command)} at ${formatMs(asked.serverMs)} (answer ${JSON.stringify(asked.result)}) and quoted the same key at ${formatMs(at)} (message ${later.messageId}), while the lease was ${held.owner}'s. Times on Redis's clock. Whoever does not hold the lease must not do the key's work: "retryLater"`,
        ),
      );
    }
  }
  return out;
}

/** "done" answered for an operation the database had not yet committed. */
export function checkEarlyDones(dones: Deployment["dones"], applications: readonly Application[]): Anomaly[] {
  const firstCommitMs = firstCommitsByKey(applications);
  const out: Anomaly[] = [];
  const reported = new Set<string>();
  for (const done of dones) {
    const key = standInKey(done.delivery);
    const committedMs = firstCommitMs.get(key);
    if ((committedMs !== undefined && committedMs <= done.atMs) || reported.has(key)) continue;
    reported.add(key);
    const later = committedMs === undefined ? "never did" : `did only at ${formatMs(committedMs)}`;
    out.push(
      anomaly(
        "lost write",
        `${done.consumer} answered "done" for ${key} (message ${done.delivery.messageId}) at ${formatMs(done.atMs)}, but the database had not applied it: it ${later}. Had that been the operation's last copy, its effect would be lost. Answer "done" only once the database said so (the handler answered "done"), or on a done mark set after that`,
      ),
    );
  }
  return out;
}

/** One handler call, as the grader saw it: which consumer, which message, from when to when (world time). */
export interface Handling {
  consumer: string;
  messageId: string;
  /** The business key (the grader's: `orderId/step`). */
  key: string;
  fromMs: number;
  /** When it answered; +Infinity if it never did. */
  toMs: number;
  /** It answered "done". */
  done: boolean;
  /** It answered at all ("done" or "retryLater"): false if its consumer died or the run ended first. */
  answered: boolean;
}

/**
 * The handler call a quote was made in: the earliest call of its message on its consumer still
 * running at the quote's start (null if none, which cannot happen).
 * The earliest, so that whatever the window read, it read after this.
 */
function arrivalOf(call: QuoteCall, handlings: readonly Handling[]): Handling | null {
  let earliest: Handling | null = null;
  for (const h of handlings) {
    if (h.consumer !== call.nodeId || h.messageId !== call.messageId) continue;
    if (h.fromMs > call.startMs || h.toMs < call.startMs) continue;
    if (earliest === null || h.fromMs < earliest.fromMs) earliest = h;
  }
  return earliest;
}

/**
 * The done mark's tenure that was alive at `fromMs` and, alone or rewritten by later SETs with no
 * gap, stayed alive to `toMs` (Redis's clock); null if the mark was missing at some point.
 */
function markHeldThrough(marks: readonly Tenure[], key: string, fromMs: number, toMs: number): Tenure | null {
  const first = marks.find((t) => t.key === key && t.fromMs <= fromMs && (t.endMs === null || t.endMs >= fromMs));
  for (let t = first; t !== undefined; ) {
    if (t.endMs === null || t.endMs >= toMs) return first ?? null;
    const by = t.endedBy;
    if (by?.kind !== "command" || by.command.op !== "set") return null;
    const endMs = t.endMs;
    t = marks.find((next) => next.key === key && next.fromMs === endMs);
  }
  return null;
}

/** Why a correct window would have answered a duplicate from its done mark. */
type MarkEvidence = { kind: "held"; mark: Tenure } | { kind: "owed"; by: Handling; quote: QuoteCall; setSeen: boolean };

/**
 * A handler that did the key's work (its quote ended) and answered "done", with Redis answering
 * it normally from the quote's end to the answer: the contract's `SET doneKey PX windowMs` ran in
 * between, so the mark lasts at least `windowMs` from the quote's end (Redis's clock).
 */
function owedMark(
  call: QuoteCall,
  arrivedMs: number,
  calls: readonly QuoteCall[],
  handlings: readonly Handling[],
  history: readonly RedisRecord[],
  troubles: RedisTroubles,
  windowMs: number,
): MarkEvidence | null {
  for (const by of handlings) {
    if (by.key !== call.key || !by.done || by.toMs > arrivedMs) continue;
    const quote = calls
      .filter((c) => c.nodeId === by.consumer && c.messageId === by.messageId && c.endMs !== null)
      .filter((c) => c.startMs >= by.fromMs && (c.endMs ?? Number.POSITIVE_INFINITY) <= by.toMs)
      .at(-1);
    if (quote === undefined || quote.endMs === null) continue;
    if (call.startServerMs > quote.endServerMs + windowMs) continue;
    if (!answeredNormally(troubles, by.consumer, quote.endMs, by.toMs)) continue;
    if (!keptKeys(troubles, quote.endMs, call.startMs)) continue;
    const setSeen = history.some(
      (r) =>
        r.nodeId === by.consumer &&
        r.command.op === "set" &&
        r.command.key === doneKey(call.key) &&
        r.serverMs >= quote.endServerMs &&
        r.serverMs <= call.startServerMs,
    );
    return { kind: "owed", by, quote, setSeen };
  }
  return null;
}

/**
 * `wasted work`: a quote a correct window could not have made. Its message reached the handler
 * after the operation's effect was durable, Redis answered that consumer normally from then to the
 * quote, and a done mark was there all along, either seen in Redis's history (set before the
 * message arrived, and no expiry, restart, eviction or clock jump took it before the quote) or
 * owed by the contract (see `owedMark`: a handler that quoted and answered "done" with Redis well,
 * within `windowMs` of the quote, and no key lost since). Any read of the mark in between said
 * "done". A mark whose SET failed or whose reply was lost, or that Redis lost, makes no finding.
 */
export function checkWastedQuotes(
  calls: readonly QuoteCall[],
  handlings: readonly Handling[],
  marks: readonly Tenure[],
  applications: readonly Application[],
  redis: { history: readonly RedisRecord[]; troubles: RedisTroubles },
  windowMs: number,
): Anomaly[] {
  const { history, troubles } = redis;
  const firstCommitMs = firstCommitsByKey(applications);
  const out: Anomaly[] = [];
  const reported = new Set<string>();
  for (const call of calls) {
    if (reported.has(call.key)) continue;
    const arrivedMs = arrivalOf(call, handlings)?.fromMs;
    if (arrivedMs === undefined) continue;
    const committedMs = firstCommitMs.get(call.key);
    if (committedMs === undefined || committedMs > arrivedMs) continue;
    if (!answeredNormally(troubles, call.nodeId, arrivedMs, call.startMs)) continue;
    const arrivedServerMs = serverAtMs(troubles, arrivedMs);
    const held = keptKeys(troubles, arrivedMs, call.startMs)
      ? markHeldThrough(marks, doneKey(call.key), arrivedServerMs, call.startServerMs)
      : null;
    const evidence: MarkEvidence | null =
      held !== null
        ? { kind: "held", mark: held }
        : owedMark(call, arrivedMs, calls, handlings, history, troubles, windowMs);
    if (evidence === null) continue;
    reported.add(call.key);
    const again = `${call.nodeId} quoted ${call.key} again at ${formatMs(call.startServerMs)} (message ${call.messageId}, which reached ${call.nodeId} at ${formatMs(arrivedServerMs)})`;
    const rule = `Times on Redis's clock. While Redis is well, a duplicate within the window is answered "done" from the mark: no quote, no database transaction`;
    if (evidence.kind === "held") {
      const { mark } = evidence;
      const before = calls.filter((c) => c.key === call.key && c !== call && c.startServerMs <= mark.fromMs).at(-1);
      const first =
        before === undefined
          ? ""
          : `, after ${before.nodeId}'s quote for message ${before.messageId} at ${formatMs(before.startServerMs)}`;
      out.push(
        anomaly(
          "wasted work",
          `${again}, though the operation was already in the database and ${mark.key} had been in Redis since ${formatMs(mark.fromMs)} (set by ${mark.owner}${first}); the mark stayed until the quote, and Redis answered ${call.nodeId} normally all along. ${rule}`,
        ),
      );
    } else {
      const { by, quote, setSeen } = evidence;
      const seen = setSeen
        ? "Redis saw that SET"
        : `yet Redis never saw a SET of ${doneKey(call.key)} from ${by.consumer}`;
      out.push(
        anomaly(
          "wasted work",
          `${again}, though ${by.consumer} had quoted it at ${formatMs(quote.startServerMs)} (message ${quote.messageId}) and answered "done" for it before that message arrived, with Redis answering ${by.consumer} normally in between: its done mark, set after the database said "done", lasts ${windowMs} ms, to at least ${formatMs(quote.endServerMs + windowMs)}, and Redis lost no key meanwhile (${seen}). ${rule}`,
        ),
      );
    }
  }
  return out;
}

/**
 * `overlap` without a lease in Redis's history: two consumers quoted one key at once when no
 * correct window could have let both through. Both messages had reached their handlers less than
 * `leaseMs` before the later quote began, so a lease either took (with SET NX, after its message
 * arrived) would still have been alive; Redis answered both consumers normally and lost no key
 * meanwhile, so neither could carry on for want of Redis nor lose its lease to Redis; and neither
 * consumer had another call of that key running (a lease is its consumer's, so another call of
 * the same consumer may release it).
 */
export function checkUnleasedOverlaps(
  calls: readonly QuoteCall[],
  handlings: readonly Handling[],
  troubles: RedisTroubles,
  leaseMs: number,
): Anomaly[] {
  const out: Anomaly[] = [];
  const reported = new Set<string>();
  for (const later of calls) {
    if (reported.has(later.key)) continue;
    const laterIn = arrivalOf(later, handlings);
    if (laterIn === null) continue;
    for (const earlier of calls) {
      if (earlier.nodeId === later.nodeId || earlier.key !== later.key || earlier === later) continue;
      if (!(earlier.startServerMs <= later.startServerMs && later.startServerMs < earlier.endServerMs)) continue;
      const earlierIn = arrivalOf(earlier, handlings);
      if (earlierIn === null) continue;
      const sinceMs = Math.min(earlierIn.fromMs, laterIn.fromMs);
      if (later.startServerMs > serverAtMs(troubles, sinceMs) + leaseMs) continue;
      const nodes = [earlier.nodeId, later.nodeId];
      if (!nodes.every((node) => calmFor(troubles, node, sinceMs, later.startMs))) continue;
      const others = handlings.some(
        (h) =>
          nodes.includes(h.consumer) &&
          h.key === later.key &&
          h.fromMs <= later.startMs &&
          h.toMs >= sinceMs &&
          h !== earlierIn &&
          h !== laterIn,
      );
      if (others) continue;
      reported.add(later.key);
      out.push(
        anomaly(
          "overlap",
          `${earlier.nodeId} quoted ${later.key} (message ${earlier.messageId}) from ${formatMs(earlier.startServerMs)} to ${formatMs(earlier.endServerMs)}, and ${later.nodeId} quoted it too at ${formatMs(later.startServerMs)} (message ${later.messageId}). Both messages had reached their handlers since ${formatMs(serverAtMs(troubles, sinceMs))}, less than a lease (${leaseMs} ms) before, and Redis answered both consumers normally and lost no key meanwhile: whichever took ${leaseKey(later.key)} first still held it, so the other cannot have held it too. Times on Redis's clock. Take the lease with SET NX before the work, and answer "retryLater" when another consumer holds it`,
        ),
      );
      break;
    }
  }
  return out;
}

/** When each operation (by its business key) was first committed to the database. */
function firstCommitsByKey(applications: readonly Application[]): Map<string, number> {
  const firstCommitMs = new Map<string, number>();
  for (const application of applications) {
    const key = standInKeyOf(application.row);
    firstCommitMs.set(key, Math.min(firstCommitMs.get(key) ?? Number.POSITIVE_INFINITY, application.committedAtMs));
  }
  return firstCommitMs;
}
