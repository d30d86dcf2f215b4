/**
 * L3.F's checker: judges only what the clients saw (the producers' operations with the broker's
 * replies, the read_committed consumer's receives) and what the log holds once faults healed (each
 * partition's raw entries, markers included, as the auditor read them). Never the coordinator's or
 * the partitions' internals. Every record key is unique and names its transaction ("tx-a/3/r1"
 * belongs to tx-a's third transaction).
 *
 * The anomalies, in the order a report leads with them (what readers saw, then what the log
 * shows), each with a minimal counterexample:
 * - aborted read (Jepsen's G1a): the consumer received a record of a transaction that was aborted:
 *   its client's abort was acknowledged, or the log closes its batch with an ABORT marker, or no
 *   marker ever closes it.
 *     end(tx-b/2, abort) -> ok; later receive(tx-b/2/r3) at payments/1 offset 9 (a late batch
 *     that joined tx-b's next transaction).
 * - duplicate: one record received at two offsets, or twice at one (the consumer never crashes and
 *   never moves back, so read_committed's nextOffset did not move past it).
 *     receive(tx-a/1/r1) at payments/0 offsets 2 and 4.
 * - visible before commit: the consumer received a record before its client had even asked to
 *   commit its transaction.
 *     produce(tx-a/3/r1) at 40 ms; receive(tx-a/3/r1) at 60 ms; end(tx-a/3, commit) at 75 ms.
 * - hanging transaction: once everything stopped and the transaction timeout passed twice, a
 *   partition's log holds a batch that no marker of its producer follows: the last stable offset
 *   can never pass it, and the committed records behind it are told in the same report (not as lost
 *   writes: they are stuck, not gone). When its producer never sent an end (tx-c dies inside its
 *   transaction), only the coordinator's timeout could have closed it.
 *     payments/2: batch of producer 1, epoch 3, at offset 7; no marker of producer 1 after it;
 *     tx-p/1/r3 committed behind it at offset 9.
 * - lost write: a transaction whose commit was acknowledged, with a record (acknowledged to its
 *   client) that the consumer never received once the faults healed.
 *     produce(tx-a/2/r1) -> ok; k1 paused 600 ms; add, produce(tx-a/2/r2), end(commit) -> ok;
 *     tx-a/2/r1 never received (aborted by the timeout, while the commit went to a new transaction).
 * - zombie write: a batch appended with an epoch older than one already issued for its
 *   transactional id: after a marker or batch of a newer epoch in the same partition's log, or
 *   sent after its client (or a newer incarnation) was told of a newer epoch.
 *     end(tx-b/1, abort) -> ok epoch 4; payments/1 holds the marker (epoch 4) at 6, then a batch
 *     of epoch 3 at 8.
 * - timeout not enforced: the coordinator accepted (ok) an add or a commit of a transaction that
 *   had begun (its first add acknowledged) more than the timeout, two scans and a margin before
 *   the request was sent, while the broker stayed up: the timeout's abort must fence its producer.
 *     add(tx-a/1) -> ok at 2 ms; k1 paused 600 ms; add(tx-a/1, partition 2) -> ok at 603 ms.
 * - not live: a record of a transaction its client asked to commit, committed in the log (a
 *   COMMIT marker closes its batch), never received by the consumer. Or the probe: once every
 *   fault had healed and every other client had stopped, a new transactional id ran two
 *   transactions, the second begun after the transaction timeout had passed since the first, each
 *   with a record to every partition and a second one to partition 0, and one of them did not
 *   commit (the network no longer lost, duplicated or reordered messages by then).
 *     probe tx-p/2: produce(tx-p/2/r1) -> outOfOrder (sequences not restarted under the new epoch).
 * - wrong answer: the coordinator accepted (ok) an addPartitionsToTxn or endTxn carrying an epoch
 *   older than one a client of the same transactional id had already been given (by an init or
 *   end reply that arrived before the request was sent): a fenced producer is refused at the
 *   coordinator too, or it ends the transaction of the incarnation that replaced it.
 *     init(tx-a) -> ok epoch 5 on k3; then k1's add(tx-a, epoch 3) -> ok.
 *   Or read_committed handed the consumer an entry that is not data (a marker), or a reply the
 *   protocol does not have (the consumer's `stray` operations).
 *     stray(payments/1: the entry {"kind":"marker","offset":7,...}).
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { describeOp, type Op } from "#harness/workloads/history.ts";
import { TIMING } from "#labs/03-transactional-messages/provided.ts";
import type { LogEntry } from "#labs/shared/broker/protocol.ts";
import { checkReplies } from "./check-replies.ts";

export interface KafkaEvidence {
  ops: readonly Op[];
  /** Each partition's raw log once the faults healed and everything settled. */
  logs: readonly LogEntry[][];
  /**
   * The probe run after the heal: its transactional id, and its attempts' transactions (two each,
   * a new session each); every transaction of one attempt must commit.
   */
  probe?: { id: string; attempts: readonly (readonly string[])[] };
  /**
   * When the broker died (crashed or lost power), in simulated time. The timeout rule holds a
   * coordinator to its timeout only while it stayed up: whether a restart keeps a transaction's
   * start is the learner's to choose.
   */
  brokerDeathsMs?: readonly number[];
}

/**
 * How long after a transaction began the coordinator may still accept its producer's add or
 * commit: the timeout, two scans (the first one may come just before the timeout passed), and
 * room for the abort's save to reach the transaction log.
 */
export const TIMEOUT_ENFORCED_WITHIN_MS = TIMING.kafkaTransactionTimeoutMs + 2 * TIMING.kafkaAbortScanMs + 50;

interface ProduceInput {
  id: string;
  txn: string;
  partition: number;
  epoch: number;
  sequence: number;
  key: string;
}
interface EndInput {
  id: string;
  txn: string;
  commit: boolean;
  epoch: number;
}
interface ReceiveInput {
  partition: number;
  offset: number;
  key: string;
}

type DataEntry = Extract<LogEntry, { kind: "data" }>;

/** A copy of a record in the log, with the fate the log gives its batch. */
interface Placed {
  partition: number;
  entry: DataEntry;
  /** The marker of its producer that follows the batch, if any. */
  closedBy: Extract<LogEntry, { kind: "marker" }> | null;
}

const txnOf = (key: string): string => key.slice(0, key.lastIndexOf("/"));

export function checkKafka(evidence: KafkaEvidence): Anomaly[] {
  const { ops, logs } = evidence;
  const produces = ops.filter((op) => op.f === "produce");
  const ends = ops.filter((op) => op.f === "end");
  const receives = ops.filter((op) => op.f === "receive");
  const endsOf = (txn: string): Op[] => ends.filter((op) => (op.input as EndInput).txn === txn);
  const abortAcked = (txn: string): Op | undefined =>
    endsOf(txn).find((op) => !(op.input as EndInput).commit && op.status === "ok");
  const commitAcked = (txn: string): Op | undefined =>
    endsOf(txn).find((op) => (op.input as EndInput).commit && op.status === "ok");
  const firstCommitAsked = (txn: string): Op | undefined => endsOf(txn).find((op) => (op.input as EndInput).commit);
  const producesOf = (key: string): Op[] => produces.filter((op) => (op.input as ProduceInput).key === key);

  // Where each record lies in the log, and which marker closes its batch.
  const placed = new Map<string, Placed[]>();
  logs.forEach((log, partition) => {
    log.forEach((entry, at) => {
      if (entry.kind !== "data") return;
      let closedBy: Placed["closedBy"] = null;
      for (const later of log.slice(at + 1)) {
        if (later.kind === "marker" && later.producerId === entry.producerId) {
          closedBy = later;
          break;
        }
      }
      for (const record of entry.records) {
        placed.set(record.key, [...(placed.get(record.key) ?? []), { partition, entry, closedBy }]);
      }
    });
  });
  const where = (p: Placed): string => `payments/${p.partition} offset ${p.entry.offset}`;

  const aborted: Anomaly[] = [];
  const early: Anomaly[] = [];
  const reported = new Set<string>();
  for (const receive of receives) {
    const { partition, offset, key } = receive.input as ReceiveInput;
    if (reported.has(key)) continue;
    const txn = txnOf(key);
    const abortOp = abortAcked(txn);
    const copy = (placed.get(key) ?? []).find((p) => p.partition === partition && p.entry.offset === offset);
    let why: string | null = null;
    if (abortOp !== undefined) why = `its transaction's abort was acknowledged (${describeOp(abortOp)})`;
    else if (copy !== undefined && copy.closedBy !== null && !copy.closedBy.commit)
      why = `the log closes its batch with an ABORT marker (offset ${copy.closedBy.offset})`;
    else if (copy !== undefined && copy.closedBy === null) why = "no marker of its producer ever follows its batch";
    if (why !== null) {
      reported.add(key);
      aborted.push(
        anomaly(
          "aborted read",
          `read_committed returned ${key} at payments/${partition} offset ${offset}, but ${why}.`,
          [receive, ...(abortOp === undefined ? [] : [abortOp])],
        ),
      );
      continue;
    }
    const asked = firstCommitAsked(txn);
    if (asked === undefined || asked.invokedAtMs > receive.invokedAtMs) {
      reported.add(key);
      early.push(
        anomaly(
          "visible before commit",
          `read_committed returned ${key} at ${receive.invokedAtMs} ms, ` +
            (asked === undefined
              ? `but its client never asked to commit ${txn}.`
              : `before its client asked to commit ${txn} (at ${asked.invokedAtMs} ms).`),
          [receive, ...(asked === undefined ? [] : [asked])],
        ),
      );
    }
  }

  const duplicates: Anomaly[] = [];
  const receivedAt = new Map<string, Op[]>();
  for (const receive of receives) {
    const { key } = receive.input as ReceiveInput;
    receivedAt.set(key, [...(receivedAt.get(key) ?? []), receive]);
  }
  for (const [key, got] of receivedAt) {
    const places = new Set(
      got.map((op) => `${(op.input as ReceiveInput).partition}/${(op.input as ReceiveInput).offset}`),
    );
    if (places.size > 1) {
      duplicates.push(
        anomaly(
          "duplicate",
          `read_committed returned ${key} at ${places.size} places: ${[...places].join(", ")}.`,
          got,
        ),
      );
    } else if (got.length > 1) {
      duplicates.push(
        anomaly(
          "duplicate",
          `read_committed returned ${key} ${got.length} times, at ${[...places].join(", ")}: the consumer fetches from the nextOffset of its last fetch, so that nextOffset did not move past the record.`,
          got.slice(0, 3),
        ),
      );
    }
  }

  // Batches no marker of their producer follows: the first of each partition holds its last
  // stable offset, and the committed records behind it can never reach a read_committed consumer.
  const openBatches: Placed[] = [];
  for (const [, copies] of placed) {
    for (const p of copies) {
      if (p.closedBy === null && !openBatches.some((o) => where(o) === where(p))) openBatches.push(p);
    }
  }
  const firstOpenAt = (partition: number): number | undefined => {
    const offsets = openBatches.filter((o) => o.partition === partition).map((o) => o.entry.offset);
    return offsets.length === 0 ? undefined : Math.min(...offsets);
  };
  const behindOpen = (key: string): boolean => {
    const copies = placed.get(key) ?? [];
    return (
      copies.length > 0 &&
      copies.every((p) => {
        const at = firstOpenAt(p.partition);
        return at !== undefined && p.entry.offset > at;
      })
    );
  };
  /** Committed records stuck behind an open batch, per partition: part of the hanging report. */
  const stuck = new Map<number, string[]>();

  const lost: Anomaly[] = [];
  const notLive: Anomaly[] = [];
  const txns = new Set(produces.map((op) => (op.input as ProduceInput).txn));
  for (const txn of txns) {
    const committed = commitAcked(txn);
    const keys = [
      ...new Set(
        produces.filter((op) => (op.input as ProduceInput).txn === txn).map((op) => (op.input as ProduceInput).key),
      ),
    ];
    for (const key of keys) {
      if (receivedAt.has(key)) continue;
      const acked = producesOf(key).find((op) => op.status === "ok");
      if (committed !== undefined && acked !== undefined && behindOpen(key)) {
        for (const p of placed.get(key) ?? []) stuck.set(p.partition, [...(stuck.get(p.partition) ?? []), key]);
        continue;
      }
      if (committed !== undefined && acked !== undefined) {
        lost.push(
          anomaly(
            "lost write",
            `${txn}'s commit was acknowledged and ${key} was acknowledged to its producer, ` +
              `but read_committed never returned it once the faults had healed` +
              ((placed.get(key) ?? []).some((p) => p.closedBy !== null && !p.closedBy.commit)
                ? " (the log closes its batch with an ABORT marker)."
                : "."),
            [acked, committed],
          ),
        );
        continue;
      }
      const inLog = (placed.get(key) ?? []).find((p) => p.closedBy?.commit === true);
      const asked = firstCommitAsked(txn);
      if (inLog !== undefined && asked !== undefined) {
        notLive.push(
          anomaly(
            "not live",
            `${key} is committed in the log (${where(inLog)}, COMMIT marker at ${inLog.closedBy?.offset}), ` +
              "but read_committed never returned it once everything had settled.",
            [...producesOf(key).slice(0, 1), asked],
          ),
        );
      }
    }
  }

  const hanging: Anomaly[] = [];
  for (const p of openBatches) {
    const key = p.entry.records[0]?.key ?? "?";
    const behind = firstOpenAt(p.partition) === p.entry.offset ? [...new Set(stuck.get(p.partition) ?? [])] : [];
    const shown = behind.slice(0, 3).join(", ") + (behind.length > 3 ? ", ..." : "");
    hanging.push(
      anomaly(
        "hanging transaction",
        `${where(p)} holds a batch of producer ${p.entry.producerId} (epoch ${p.entry.epoch}, ${key}) that no marker ` +
          "of its producer follows, long after every client stopped and the transaction timeout passed twice: the " +
          "last stable offset can never pass it" +
          (behind.length === 0
            ? "."
            : `, and ${behind.length} record${behind.length === 1 ? "" : "s"} behind it whose commit was acknowledged never reached the consumer (${shown}).`) +
          (endsOf(txnOf(key)).length === 0
            ? ` Its producer never sent an end for ${txnOf(key)}: only the coordinator's transaction timeout can close it.`
            : ""),
        producesOf(key),
      ),
    );
  }

  const zombies: Anomaly[] = [];
  // Epochs the clients were told of, per transactional id: [when the reply came, epoch].
  const issued: { id: string; atMs: number; epoch: number; op: Op }[] = [];
  for (const op of ops) {
    if (op.status !== "ok" || (op.f !== "init" && op.f !== "end")) continue;
    const output = op.output as { epoch?: number };
    if (typeof output?.epoch === "number")
      issued.push({
        id: (op.input as { id: string }).id,
        atMs: op.completedAtMs ?? op.invokedAtMs,
        epoch: output.epoch,
        op,
      });
  }
  logs.forEach((log, partition) => {
    const highest = new Map<number, LogEntry>();
    for (const entry of log) {
      const before = highest.get(entry.producerId);
      if (entry.kind === "data") {
        const key = entry.records[0]?.key ?? "?";
        const sent = producesOf(key).find((op) => (op.input as ProduceInput).epoch === entry.epoch);
        const newer =
          sent === undefined
            ? undefined
            : issued.find(
                (i) => i.id === (sent.input as ProduceInput).id && i.epoch > entry.epoch && i.atMs < sent.invokedAtMs,
              );
        if (before !== undefined && before.epoch > entry.epoch) {
          zombies.push(
            anomaly(
              "zombie write",
              `payments/${partition} holds a batch of producer ${entry.producerId} with epoch ${entry.epoch} (${key}) ` +
                `at offset ${entry.offset}, after its ${before.kind === "marker" ? "marker" : "batch"} of epoch ${before.epoch} at offset ${before.offset}.`,
              sent === undefined ? [] : [sent],
            ),
          );
        } else if (sent !== undefined && newer !== undefined) {
          zombies.push(
            anomaly(
              "zombie write",
              `payments/${partition} holds ${key} with epoch ${entry.epoch} at offset ${entry.offset}, sent after ` +
                `${(sent.input as ProduceInput).id} had been given epoch ${newer.epoch}.`,
              [newer.op, sent],
            ),
          );
        }
      }
      if (before === undefined || entry.epoch > before.epoch) highest.set(entry.producerId, entry);
    }
  });

  // A transaction Ongoing past its timeout is aborted by the coordinator, which fences its
  // producer: an add or a commit it sends later must be refused. Its start is no later than when
  // its first add was acknowledged; the broker's clock runs true in L3.F (no clock faults).
  const lateWrites: Anomaly[] = [];
  const deaths = evidence.brokerDeathsMs ?? [];
  const begun = new Map<string, Op>();
  for (const op of ops) {
    if (op.f === "add" && op.status === "ok") {
      const { txn } = op.input as { txn: string };
      if (!begun.has(txn)) begun.set(txn, op);
    }
  }
  for (const op of ops) {
    const input = op.input as { txn?: string; commit?: boolean };
    if (op.status !== "ok" || !(op.f === "add" || (op.f === "end" && input.commit === true))) continue;
    const first = begun.get(input.txn ?? "");
    if (first === undefined || first === op || first.completedAtMs === undefined) continue;
    const ageMs = op.invokedAtMs - first.completedAtMs;
    if (ageMs <= TIMEOUT_ENFORCED_WITHIN_MS) continue;
    if (deaths.some((atMs) => atMs >= first.invokedAtMs && atMs <= op.invokedAtMs)) continue;
    if (lateWrites.some((a) => a.ops.includes(first))) continue;
    lateWrites.push(
      anomaly(
        "timeout not enforced",
        `${describeOp(op)} was accepted ${ageMs.toFixed(1)} ms after ${input.txn} began (its first add was acknowledged at ` +
          `${first.completedAtMs.toFixed(3)} ms), with the broker up all along: a transaction Ongoing longer than the transaction timeout ` +
          `(${TIMING.kafkaTransactionTimeoutMs} ms) must have been aborted by the coordinator's scan (every ${TIMING.kafkaAbortScanMs} ms), ` +
          "with its epoch bumped, so that its producer (paused, or a zombie) is fenced from then on.",
        [first, op],
      ),
    );
  }

  const wrong: Anomaly[] = [];
  const strays = ops.filter((op) => op.f === "stray");
  const firstStray = strays[0];
  if (firstStray !== undefined) {
    const { partition, what } = firstStray.input as { partition: number; what: string };
    wrong.push(
      anomaly(
        "wrong answer",
        `read_committed handed the consumer ${what} from partition ${partition}${strays.length > 1 ? ` (and ${strays.length - 1} more like it)` : ""}: a read_committed fetch returns data entries only, and replies ok, noSuchTopic or offsetOutOfRange.`,
        strays.slice(0, 3),
      ),
    );
  }
  for (const op of ops) {
    if (op.status !== "ok" || (op.f !== "add" && op.f !== "end")) continue;
    const input = op.input as { id: string; epoch: number; txn: string };
    const newer = issued.find((i) => i.id === input.id && i.epoch > input.epoch && i.atMs < op.invokedAtMs);
    if (newer !== undefined)
      wrong.push(
        anomaly(
          "wrong answer",
          `${describeOp(op)} was accepted, but ${input.id} had already been given epoch ${newer.epoch} (${describeOp(newer.op)}): ` +
            "the coordinator must refuse a fenced epoch (fenced), or the old incarnation joins or ends the new one's transaction.",
          [newer.op, op],
        ),
      );
  }

  if (evidence.probe !== undefined) {
    const { id, attempts } = evidence.probe;
    const failedOf = (txn: string): Op | undefined =>
      ops.find((op) => (op.input as { txn?: string }).txn === txn && op.status !== "ok");
    const failures = attempts.map((txns) => txns.find((txn) => commitAcked(txn) === undefined));
    if (attempts.length > 0 && failures.every((txn) => txn !== undefined)) {
      const told = failures.map((txn) => {
        const failed = failedOf(txn as string);
        return `${txn} did not commit (${failed === undefined ? "it never began" : describeOp(failed)})`;
      });
      notLive.push(
        anomaly(
          "not live",
          `once every fault had healed and every other client had stopped, ${id} (a new transactional id) ran two transactions, ` +
            `the second begun once the transaction timeout had passed since the first, each a record to every partition, a second one to partition 0 and a commit, ` +
            `${attempts.length === 1 ? "once" : `${attempts.length} times, a new session each`}: ${told.join("; ")}. With nothing else going on, a transaction commits.`,
          failures.flatMap((txn) => {
            const failed = failedOf(txn as string);
            return failed === undefined ? [] : [failed];
          }),
        ),
      );
    }
  }

  // The replies, one contract sentence each (check-replies.ts): after everything else, so that a
  // report leads with what readers saw when a wrong reply also lost or exposed a record.
  wrong.push(...checkReplies(ops, logs));
  return [...aborted, ...duplicates, ...early, ...hanging, ...lost, ...zombies, ...lateWrites, ...notLive, ...wrong];
}
