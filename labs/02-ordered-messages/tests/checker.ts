/**
 * Lab 02's checkers. They read the history (sends and handler calls) and the queues' final
 * contents, and name what broke:
 *
 *   duplicate   one message (one id) stored twice.
 *                 send(k1#1) times out, is retried, and both copies land: offsets 3 and 4.
 *   reorder     two messages of one key stored, or processed, against their send order.
 *                 send(k1#1) ok, send(k1#2) ok, but the queue holds k1#2 at 5 and k1#1 at 6;
 *                 or: process(k1#2) completes, and only then process(k1#1).
 *               (A *rewind* is not a reorder: after a crash the consumer resumes from its last
 *               committed offset and repeats a stretch it already processed, in the same order.
 *               k1#1 k1#2 k1#3 | crash | k1#2 k1#3 k1#4 is a rewind; k1#1 k1#3 k1#2 is a reorder.)
 *   overlap     two consumers processing one queue at the same time, or two messages of one key
 *               processed at the same time. Where the ledger checks fencing tokens (L2.E), one
 *               overlap cannot be prevented and is allowed: the old owner's last write lands after
 *               the new owner started but before the new owner's first write, so the ledger has not
 *               seen the newer token yet. Then every write of the old token precedes every write of
 *               the new one, which is all fencing promises.
 *   rewound below the committed offset
 *               a session's first handler call is below the offset its group had committed under
 *               an earlier lock. Commits at 0..5 by c1#1 (token 7), crash, c1#2 (token 8) starts at
 *               offset 0: the six messages are done again, though the group said they were done.
 *   lost write  an acknowledged send that is not in its queue, or never processed.
 *   not live    a send rejected while its producer was running, or, once the faults are over, a
 *               send that never completed.
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { formatMs } from "#harness/sim/trace.ts";
import { describeOp, formatValue, type Op } from "#harness/workloads/history.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";

interface SendInput {
  key: string;
  id: string;
}

interface ProcessInput {
  queueId: number;
  queueOffset: number;
  key: string;
  id: string;
  /** The fencing token the handler was called with (0: none). */
  token: number;
}

const sendInput = (op: Op): SendInput => op.input as SendInput;
const processInput = (op: Op): ProcessInput => op.input as ProcessInput;

/** What the queues hold, against what the producers were told. */
export function checkQueues(sends: readonly Op[], queues: readonly StoredMessage[][]): Anomaly[] {
  const found: Anomaly[] = [];
  const stored = new Map<string, StoredMessage[]>();
  for (const queue of queues) {
    for (const message of queue) {
      const copies = stored.get(message.body) ?? [];
      copies.push(message);
      stored.set(message.body, copies);
    }
  }
  const byId = new Map(sends.map((op) => [sendInput(op).id, op]));
  for (const [id, copies] of stored) {
    if (copies.length > 1) {
      const where = copies.map((m) => `queue ${m.queueId} offset ${m.queueOffset}`).join(" and ");
      const send = byId.get(id);
      found.push(
        anomaly(
          "duplicate",
          `message ${id} was sent once but is stored ${copies.length === 2 ? "twice" : `${copies.length} times`}: ${where}.`,
          send ? [send] : [],
        ),
      );
      return found;
    }
  }
  // Every key in one queue.
  const queuesOfKey = new Map<string, Set<number>>();
  for (const queue of queues)
    for (const m of queue) queuesOfKey.set(m.key, (queuesOfKey.get(m.key) ?? new Set()).add(m.queueId));
  for (const [key, ids] of queuesOfKey) {
    if (ids.size > 1) {
      const ops = sends.filter((op) => sendInput(op).key === key).slice(0, 4);
      found.push(
        anomaly(
          "reorder",
          `the messages of key ${key} went to queues ${[...ids].join(" and ")}. Nothing orders one queue against another, so their order is lost: one key must always map to one queue.`,
          ops,
        ),
      );
      return found;
    }
  }
  // Every acknowledged send stored where the broker said, and in send order within its key.
  const lastAckedOfKey = new Map<string, { op: Op; offset: number }>();
  for (const op of sends) {
    if (op.status !== "ok") continue;
    const { id, key } = sendInput(op);
    const copy = stored.get(id)?.[0];
    const acked = op.output as { queueId: number; queueOffset: number } | undefined;
    if (copy === undefined) {
      found.push(anomaly("lost write", `${describeOp(op)} was acknowledged, but message ${id} is in no queue.`, [op]));
      return found;
    }
    if (acked && (copy.queueId !== acked.queueId || copy.queueOffset !== acked.queueOffset)) {
      found.push(
        anomaly(
          "wrong answer",
          `${describeOp(op)} was acknowledged at queue ${acked.queueId} offset ${acked.queueOffset}, but message ${id} is at queue ${copy.queueId} offset ${copy.queueOffset}.`,
          [op],
        ),
      );
      return found;
    }
    const previous = lastAckedOfKey.get(key);
    if (previous !== undefined && copy.queueOffset < previous.offset) {
      found.push(
        anomaly(
          "reorder",
          `key ${key}: ${describeCall(previous.op)} was sent before ${describeCall(op)} and both were acknowledged, but the queue stores ${id} at offset ${copy.queueOffset}, before ${sendInput(previous.op).id} at offset ${previous.offset}.`,
          [previous.op, op],
        ),
      );
      return found;
    }
    lastAckedOfKey.set(key, { op, offset: copy.queueOffset });
  }
  return found;
}

function describeCall(op: Op): string {
  return `send(${formatValue(sendInput(op).id)})`;
}

export interface ProcessingRules {
  /** No two handler calls on one queue at once by one consumer (the orderly worker). */
  oneInFlightPerQueue: boolean;
  /** No queue is unlocked while its consumer is processing it (L2.D, L2.E). */
  releaseAfterDrain: boolean;
  /**
   * Handler calls start only under a live lease of their consumer (L2.D: no pauses, no clock
   * faults, so a correct lease estimate is never wrong there; in L2.E fencing takes over).
   */
  workUnderLease: boolean;
  /** The ledger refuses stale tokens (L2.E): see "overlap" above for what that allows. */
  fencedLedger: boolean;
}

/** The rules with only those named on: `rulesOn()` checks what every worker owes (order, no loss). */
export function rulesOn(...on: readonly (keyof ProcessingRules)[]): ProcessingRules {
  return {
    oneInFlightPerQueue: on.includes("oneInFlightPerQueue"),
    releaseAfterDrain: on.includes("releaseAfterDrain"),
    workUnderLease: on.includes("workUnderLease"),
    fencedLedger: on.includes("fencedLedger"),
  };
}

/** How the messages were processed, against the order they have in their queues. */
export function checkProcessing(
  processed: readonly Op[],
  queues: readonly StoredMessage[][],
  ackedIds: ReadonlySet<string>,
  rules: ProcessingRules,
  seen: {
    sessionStarts: ReadonlyMap<Op, Committed>;
    locks: readonly LockEvent[];
    fencedCommits?: readonly FencedCommit[];
    /** Every commit the consumers sent (L2.E, L2.F's takeovers). */
    commitsSent?: readonly SentCommit[];
    /** The ledger's order of accepted effects, by history index (Deployment.effectOrder). */
    effectOrder?: readonly number[];
  },
): Anomaly[] {
  const { sessionStarts } = seen;
  const byEffect = effectComparator(seen.effectOrder ?? []);
  return (
    firstOf(checkOverlaps(processed, rules, byEffect)) ??
    firstOf(
      rules.fencedLedger ? checkStopsWhenFenced(processed, seen.fencedCommits ?? [], seen.commitsSent ?? []) : [],
    ) ??
    firstOf(rules.releaseAfterDrain ? checkReleases(processed, seen.locks) : []) ??
    firstOf(rules.workUnderLease ? checkLeases(processed, seen.locks) : []) ??
    firstOf(checkKeyOrder(processed, queues, byEffect)) ??
    firstOf(checkSessionStarts(processed, sessionStarts)) ??
    firstOf(checkEveryAckedProcessed(processed, ackedIds)) ??
    []
  );
}

/** A `fenced` answer to a commit, as the consumer received it (true time). */
export interface FencedCommit {
  atMs: number;
  /**
   * The history's length when the answer arrived: every handler call invoked after it has an index
   * at least this, even one invoked at the same simulated instant (a worker can react in no time).
   */
  index: number;
  /** Its place among every commit sent and every fenced answer (SentCommit.seq): they are not in the history. */
  seq: number;
  consumerId: string;
  queueId: number;
  token: number;
}

/** A commit as a consumer sent it: its place among commits and answers, and what it carried. */
export interface SentCommit {
  atMs: number;
  seq: number;
  consumerId: string;
  queueId: number;
  token: number;
  offset: number;
}

/**
 * Once told that its token is stale, a worker stops: a handler that threw FencedError, or a commit
 * answered `fenced`, means another consumer owns the queue now. No handler call of the same
 * consumer, queue and token may start after that (it could only repeat work the new owner does,
 * or, before the new owner's first write, slip an effect in under it).
 *   c2 process(k1#3, token 7) fails: fenced by token 9; c2 process(k1#3, token 7) again 20 ms later.
 */
function checkStopsWhenFenced(
  processed: readonly Op[],
  fencedCommits: readonly FencedCommit[],
  commitsSent: readonly SentCommit[],
): Anomaly[] {
  const told: Array<{
    atMs: number;
    index: number;
    consumerId: string;
    queueId: number;
    token: number;
    how: string;
    op?: Op;
  }> = [...fencedCommits.map((c) => ({ ...c, how: `its commit on queue ${c.queueId} was answered fenced` }))];
  for (const op of processed) {
    const fencedBy = (op.output as { fencedBy?: number } | undefined)?.fencedBy;
    if (op.status !== "fail" || fencedBy === undefined || op.completedAtMs === undefined) continue;
    if (op.completedIndex === undefined) continue;
    const { queueId, token, id } = processInput(op);
    told.push({
      atMs: op.completedAtMs,
      index: op.completedIndex,
      consumerId: op.client,
      queueId,
      token,
      how: `its handler threw FencedError on ${id} (the ledger had seen token ${fencedBy})`,
      op,
    });
  }
  for (const fenced of told.sort((a, b) => a.index - b.index)) {
    const later = processed.find(
      (op) =>
        op.client === fenced.consumerId &&
        op.index >= fenced.index &&
        processInput(op).queueId === fenced.queueId &&
        processInput(op).token === fenced.token,
    );
    if (later !== undefined)
      return [
        anomaly(
          "processed without the lock",
          `${fenced.consumerId} was told at ${formatMs(fenced.atMs)} that token ${fenced.token} of queue ${fenced.queueId} is stale (${fenced.how}): another consumer owns the queue now. Yet it called the handler again under that token at ${formatMs(later.invokedAtMs)}: ${describeOp(later)}. On FencedError, or a commit answered fenced, a worker returns at once, without retrying and without committing.`,
          [...(fenced.op ? [fenced.op] : []), later],
        ),
      ];
  }
  // A commit answered fenced is the broker's word, to whoever sent it: no commit under that token
  // may follow. (A handler's FencedError is the worker's to act on; a consumer that commits on a
  // timer of its own may not have heard of it yet, and its next commit is refused and tells it.)
  for (const fenced of [...fencedCommits].sort((a, b) => a.seq - b.seq)) {
    const again = commitsSent.find(
      (c) =>
        c.consumerId === fenced.consumerId &&
        c.seq > fenced.seq &&
        c.queueId === fenced.queueId &&
        c.token === fenced.token,
    );
    if (again !== undefined)
      return [
        anomaly(
          "processed without the lock",
          `${fenced.consumerId} was told at ${formatMs(fenced.atMs)} that token ${fenced.token} of queue ${fenced.queueId} is stale (its commit was answered fenced): another consumer owns the queue now. Yet it sent another commit under that token at ${formatMs(again.atMs)} (offset ${again.offset}). On a commit answered fenced, a worker returns at once, without retrying and without committing.`,
          [],
        ),
      ];
  }
  return [];
}

/** A lock the broker granted (or renewed) until `untilMs`, or an unlock it accepted; true times. */
export type LockEvent =
  | { kind: "granted"; atMs: number; consumerId: string; queueId: number; untilMs: number }
  | { kind: "unlocked"; atMs: number; consumerId: string; queueId: number };

/**
 * A consumer unlocks a queue only once no handler call of its on that queue is in flight: the
 * broker's answer to the unlock comes after the call's end.
 *   c1 process(k2#1) 259..320 ms, c1 unlock(queue 0) answered at 262 ms: processed without the lock.
 */
function checkReleases(processed: readonly Op[], locks: readonly LockEvent[]): Anomaly[] {
  for (const unlock of locks) {
    if (unlock.kind !== "unlocked") continue;
    const busy = processed.find(
      (op) =>
        op.client === unlock.consumerId &&
        processInput(op).queueId === unlock.queueId &&
        op.invokedAtMs < unlock.atMs &&
        (op.completedAtMs ?? Number.POSITIVE_INFINITY) > unlock.atMs,
    );
    if (busy !== undefined) {
      return [
        anomaly(
          "processed without the lock",
          `${unlock.consumerId} unlocked queue ${unlock.queueId} at ${formatMs(unlock.atMs)} (the broker's answer) while its handler was still processing ${processInput(busy).id} (from ${formatMs(busy.invokedAtMs)}). Once unlocked, the queue can go to another consumer, which starts on it at once: release a queue only after its message in flight is done.`,
          [busy],
        ),
      ];
    }
  }
  return [];
}

/**
 * A consumer processes a queue only while it holds the queue's lock: each handler call starts, and
 * its effect lands, within a lease the broker granted that consumer, from the grant to its end or
 * to the consumer's unlock. Tokens do not matter here: any lease of the consumer on the queue
 * covers the call. (The reference starts a message at most 400 ms into a 600 ms lease, and a
 * message takes at most 150 ms plus the write: SLOW_MS_MAX in parts.ts keeps it so.)
 *   c1 lock(queue 0) granted at 100 ms for 600 ms, never renewed; c1 process(k1#5) at 750 ms:
 *   processed without the lock.
 */
function checkLeases(processed: readonly Op[], locks: readonly LockEvent[]): Anomaly[] {
  for (const op of processed) {
    // The call must start inside a lease, and its effect, if it took one, must land inside one.
    const { id } = processInput(op);
    const moments: Array<[number, string]> = [[op.invokedAtMs, `${op.client} started ${id}`]];
    if (op.status === "ok")
      moments.push([
        effectAtMs(op),
        `the effect of ${id}, which ${op.client} started at ${formatMs(op.invokedAtMs)}, landed`,
      ]);
    for (const [atMs, what] of moments) {
      const broken = outsideLease(op, atMs, what, locks);
      if (broken !== null) return [broken];
    }
  }
  return [];
}

/** An anomaly if `op`'s consumer held no lease on its queue at `atMs`, else null. */
function outsideLease(op: Op, atMs: number, what: string, locks: readonly LockEvent[]): Anomaly | null {
  const { queueId } = processInput(op);
  const history = locks.filter((e) => e.consumerId === op.client && e.queueId === queueId && e.atMs <= atMs);
  let coveredUntil = Number.NEGATIVE_INFINITY;
  for (const event of history)
    coveredUntil = event.kind === "granted" ? Math.max(coveredUntil, event.untilMs) : event.atMs;
  if (atMs < coveredUntil) return null;
  const last = history.at(-1);
  const grants = history.filter((e) => e.kind === "granted").map((e) => e.atMs);
  const why =
    last === undefined
      ? `the broker had never granted it the lock of queue ${queueId}`
      : last.kind === "unlocked"
        ? `it had unlocked queue ${queueId} at ${formatMs(last.atMs)}`
        : `its lock on queue ${queueId} had run out at the broker at ${formatMs(coveredUntil)} (last granted or renewed at ${formatMs(Math.max(...grants))})`;
  return anomaly(
    "processed without the lock",
    `${what} at ${formatMs(atMs)}, but ${why}. Once a lease runs out, the broker may give the queue to another consumer: a consumer works on a queue only while its lease, renewed in time, is valid, and starts a message only if the lease will outlast it.`,
    [op],
  );
}

/** A queue's committed offset at the broker, and the token it was committed under. */
export interface Committed {
  offset: number;
  token: number;
}

/**
 * A session (one consumer incarnation on one queue, under one token) starts where the group left
 * off. Its first handler call may repeat messages above the committed offset (a rewind: the last
 * owner processed them but had not committed yet), never one below it: those were done, and the
 * group said so. Only commits under an *older* token count: a commit under the session's own token
 * may still have been in flight when the session asked where to start.
 */
function checkSessionStarts(processed: readonly Op[], starts: ReadonlyMap<Op, Committed>): Anomaly[] {
  for (const [op, committed] of starts) {
    const { queueId, queueOffset, token, id } = processInput(op);
    if (queueOffset >= committed.offset || committed.token >= token) continue;
    const done = processed.filter(
      (other) =>
        other.status === "ok" &&
        other.index < op.index &&
        processInput(other).queueId === queueId &&
        processInput(other).queueOffset === committed.offset - 1,
    );
    return [
      anomaly(
        "rewound below the committed offset",
        `${op.client} started on queue ${queueId} (token ${token}) with ${id} at offset ${queueOffset}, but the group had committed offset ${committed.offset} (under token ${committed.token}, an earlier lock): everything below ${committed.offset} was done, and the group said so. A session starts at the group's committed offset (queryOffset); after a crash it repeats only what was not committed yet.`,
        [...done.slice(-1), op],
      ),
    ];
  }
  return [];
}

function firstOf(list: Anomaly[]): Anomaly[] | null {
  return list.length > 0 ? list.slice(0, 1) : null;
}

/**
 * When a handler call's effect took place: the ledger's time of applying it. (Its completion may be
 * much later: a consumer frozen after the ledger applied its write only hears back when it wakes.)
 */
function effectAtMs(op: Op): number {
  const applied = (op.output as { appliedAtMs?: number } | undefined)?.appliedAtMs;
  return applied ?? op.completedAtMs ?? Number.POSITIVE_INFINITY;
}

/** Orders two accepted effects as they took place: by time, then, at one instant, as the ledger took them. */
type EffectComparator = (a: Op, b: Op) => number;

function effectComparator(effectOrder: readonly number[]): EffectComparator {
  const rank = new Map(effectOrder.map((opIndex, i) => [opIndex, i]));
  const rankOf = (op: Op): number => rank.get(op.index) ?? Number.POSITIVE_INFINITY;
  return (a, b) => effectAtMs(a) - effectAtMs(b) || rankOf(a) - rankOf(b) || a.index - b.index;
}

/** Processing intervals: from the handler's start to its effect (accepted ops) or its end. */
function intervalOf(op: Op, toEffect: boolean): [number, number] {
  return [op.invokedAtMs, toEffect ? effectAtMs(op) : (op.completedAtMs ?? Number.POSITIVE_INFINITY)];
}

function overlapping(a: Op, b: Op, toEffect = false): boolean {
  const [a0, a1] = intervalOf(a, toEffect);
  const [b0, b1] = intervalOf(b, toEffect);
  return a0 < b1 && b0 < a1;
}

function checkOverlaps(processed: readonly Op[], rules: ProcessingRules, byEffect: EffectComparator): Anomaly[] {
  const effective = processed.filter((op) => op.status === "ok");
  // Two consumers on one queue at once: both effects accepted, their processing overlapping.
  const byQueue = groupBy(effective, (op) => processInput(op).queueId);
  for (const [queueId, ops] of byQueue) {
    for (let i = 0; i < ops.length; i++) {
      for (let j = i + 1; j < ops.length; j++) {
        const a = ops[i] as Op;
        const b = ops[j] as Op;
        if (
          a.client !== b.client &&
          overlapping(a, b, true) &&
          !(rules.fencedLedger && fencedHandover(a, b, byEffect))
        ) {
          return [
            anomaly(
              "overlap",
              `consumers ${a.client} and ${b.client} processed queue ${queueId} at the same time ` +
                `(${formatMs(a.invokedAtMs)}..${formatMs(effectAtMs(a))} and ${formatMs(b.invokedAtMs)}..${formatMs(effectAtMs(b))}, from the handler's start to its effect), and both effects were accepted. Only the holder of the queue's lock may process it.`,
              [a, b],
            ),
          ];
        }
      }
    }
  }
  // Within one consumer: one message per key at a time (and one per queue for the orderly worker).
  const attempts = processed.filter((op) => op.status !== "pending");
  const byClient = groupBy(attempts, (op) => op.client);
  for (const [client, ops] of byClient) {
    for (let i = 0; i < ops.length; i++) {
      for (let j = i + 1; j < ops.length; j++) {
        const a = ops[i] as Op;
        const b = ops[j] as Op;
        if (!overlapping(a, b)) continue;
        const sameKey = processInput(a).key === processInput(b).key;
        const sameQueue = processInput(a).queueId === processInput(b).queueId;
        if (sameKey || (rules.oneInFlightPerQueue && sameQueue)) {
          const what = sameKey
            ? `two messages of key ${processInput(a).key}`
            : `two messages of queue ${processInput(a).queueId}`;
          const text =
            processInput(a).id === processInput(b).id
              ? `${client} processed ${processInput(a).id} twice at the same time: two of its workers were running on queue ${processInput(a).queueId}.`
              : `${client} processed ${what} at the same time: ${processInput(a).id} and ${processInput(b).id}.`;
          return [anomaly("overlap", text, [a, b])];
        }
      }
    }
  }
  return [];
}

/**
 * True when two overlapping effects on one queue are a handover the ledger fenced correctly: both
 * carry tokens, and the one that took effect later carries the newer token. (The older owner's write
 * landed before any write under the newer token, so the ledger could not refuse it, and after the
 * newer token's first write it refuses every older one.) An effect without a token (0), or a newer
 * token's effect followed by an older one's, is no such handover.
 */
function fencedHandover(a: Op, b: Op, byEffect: EffectComparator): boolean {
  const [first, second] = byEffect(a, b) <= 0 ? [a, b] : [b, a];
  const firstToken = processInput(first).token;
  return firstToken > 0 && processInput(second).token > firstToken;
}

function checkKeyOrder(
  processed: readonly Op[],
  queues: readonly StoredMessage[][],
  byEffect: EffectComparator,
): Anomaly[] {
  const positionInKey = new Map<string, number>();
  const idsOfKey = new Map<string, string[]>();
  for (const queue of queues) {
    for (const m of queue) {
      const ids = idsOfKey.get(m.key) ?? [];
      positionInKey.set(m.body, ids.length);
      ids.push(m.body);
      idsOfKey.set(m.key, ids);
    }
  }
  const effective = processed.filter((op) => op.status === "ok").sort(byEffect);
  for (const [key, ops] of groupBy(effective, (op) => processInput(op).key)) {
    let next = 0;
    let previous: Op | null = null;
    for (const op of ops) {
      const position = positionInKey.get(processInput(op).id);
      if (position === undefined) continue;
      if (position > next) {
        const skipped = idsOfKey.get(key)?.[next] ?? "?";
        const later = ops.find((o) => processInput(o).id === skipped && byEffect(o, op) > 0);
        return [
          anomaly(
            "reorder",
            `key ${key}: ${processInput(op).id} was processed before ${skipped}, which comes before it in the queue` +
              (later ? ` (${skipped} was processed only later).` : " (and was not processed before it at all).") +
              " A rewind may repeat messages already processed, in order; it may never jump ahead.",
            [...(previous ? [previous] : []), op, ...(later ? [later] : [])],
          ),
        ];
      }
      next = position + 1; // progress (position == next) or a rewind (position < next)
      previous = op;
    }
  }
  return [];
}

function checkEveryAckedProcessed(processed: readonly Op[], ackedIds: ReadonlySet<string>): Anomaly[] {
  const done = new Set(processed.filter((op) => op.status === "ok").map((op) => processInput(op).id));
  const missing = [...ackedIds].filter((id) => !done.has(id)).sort();
  if (missing.length === 0) return [];
  return [
    anomaly(
      "lost write",
      `${missing.length} acknowledged message(s) were never processed, though every fault had long healed: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}. A committed offset passed them, or no consumer is serving their queue.`,
    ),
  ];
}

/**
 * Liveness for producers: a send of a live producer never gives up (a rejection while the process
 * lives is a broken promise, whatever the faults), and once the faults heal, every send completes.
 */
export function checkSendsCompleted(sends: readonly Op[]): Anomaly[] {
  const rejected = sends.find((op) => op.threw !== undefined);
  if (rejected !== undefined) {
    return [
      anomaly(
        "not live",
        `${describeCall(rejected)} was rejected (${rejected.threw}) while its producer was running. A producer must not give up while its process lives: it retries until the broker answers, however long a partition lasts.`,
        [rejected],
      ),
    ];
  }
  const stuck = sends.filter((op) => op.status === "pending");
  if (stuck.length === 0) return [];
  return [
    anomaly(
      "not live",
      `${stuck.length} send(s) never completed although every fault had healed, e.g. ${describeCall(stuck[0] as Op)}. A producer must retry until the broker answers.`,
      stuck.slice(0, 3),
    ),
  ];
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
