/**
 * L3.B's checker: the producers' calls and the business database against what the broker stored
 * and delivered. The truth is the database: a transaction's order row (`orders/<order id>`, which
 * the workload's own local transaction writes) is committed, or it is not. The producer's own
 * bookkeeping (whatever tables it keeps) is never read. The oracle service recorded every half it
 * stored and every end request it received, with its sender, so "what the producer side said" is
 * known too.
 *
 * The anomalies, in the order a report leads with them, each with a minimal counterexample:
 * - aborted read: a message delivered whose order is not committed in the database.
 *     sendInTransaction(p1#2) -> rollback; the end request was lost; a check was answered commit.
 * - duplicate: one transaction's message twice in the real queues.
 * - conflicting outcomes: the producer side sent both commit and rollback for one transaction
 *   (its own end and check answers together); even if the oracle kept the first, with a real
 *   broker the second would win (apache/rocketmq#8158).
 *     p2 answers a check on p1#3 "rollback" (no outcome row yet); p1 wakes, commits, sends commit.
 * - visible before commit: a message stored in its queue before its order committed.
 * - lost write: an order committed in the database whose message is not in the real queues once
 *   the faults have healed and every half had time to be checked.
 *     p1 commits p1#4 locally, crashes before its end; restarted, it answers the check rollback.
 * - not live: a call still pending long after the faults healed, or a half still unresolved then;
 *   or, once the faults healed, p1 ran transactions one after another (a new one after each
 *   HalfNotStored) and published none of them.
 *     every half is sent to a misspelt topic; sendInTransaction(p1#probe1..16) -> HalfNotStored.
 * - wrong answer: sendInTransaction reported "commit" for an order not committed or "rollback"
 *   for one committed, or a decision the protocol does not have; rejected with anything but
 *   HalfNotStored, or with HalfNotStored although its order committed; two halves sent for one
 *   transaction, whether the broker stored both or not (a producer that sends a half again after a
 *   lost reply stores two on a broker that does not deduplicate, as this lab's does not: both are
 *   checked, both committed); an end request with a decision the protocol does not have.
 *     sendHalf(p1#2) unanswered; sendHalf(p1#2) again, same transaction id.
 *   A half that does not carry the check immunity its message asked for (0 if none).
 *     p1#3's message asks for 400 ms; its sendHalf says checkImmunityMs 0.
 */
import { type Anomaly, anomaly, anomalyLists } from "#harness/checkers/anomaly.ts";
import type { RowWrite } from "#harness/db-session.ts";
import { describeOp, type Op } from "#harness/workloads/history.ts";
import { type StoredMessage, TIMING, TOPIC } from "#labs/03-transactional-messages/provided.ts";
import { copiesByBody } from "./copies.ts";
import type { OracleRecord } from "./oracle-service.ts";

/** One transaction the workload asked a producer to run. */
export interface ProducedTx {
  /** The message body and the call's id: "p1#4". */
  id: string;
  orderId: string;
  producer: string;
  /** The check immunity its message asked for (none: 0). */
  checkImmunityMs?: number;
}

export interface ProduceEvidence {
  txs: readonly ProducedTx[];
  ops: readonly Op[];
  queues: readonly StoredMessage[][];
  record: OracleRecord;
  db: ProduceDatabase;
  brokerClockAt(trueMs: number): number;
  /** How long after the faults healed the check was made, in words ("1,000 ms"). */
  settled: string;
  /**
   * How many sendHalf requests each transaction's producers issued, by message body, counted as
   * they left the producer (a packet the network duplicated is one request). Absent: not counted.
   */
  halfRequests?: ReadonlyMap<string, number>;
  /** The transactions p1 ran once the faults had healed, one of which must be published. */
  probes?: readonly string[];
}

/**
 * What the checker reads of the business database: a `SimDatabase` as it is, or a snapshot of a
 * real one (tests/real-db.ts), whose commit times are lower bounds (a real database does not say
 * when it committed, only what).
 */
export interface ProduceDatabase {
  /** The committed transactions, each with the moment it committed (or, real, a moment it had not yet). */
  history(): readonly { endedAtMs: number; writes: readonly RowWrite[] }[];
  row(table: string, key: string): unknown;
}

/** What `sendInTransaction` resolved with, as the workload records it. */
interface Resolved {
  decision?: "commit" | "rollback" | "unknown";
  rejected?: string;
}

/** The kinds of anomaly this checker finds, in the order its report gives them. */
const KINDS = ["aborted", "duplicate", "conflict", "early", "lost", "live", "wrong"] as const;

export function checkProduce(evidence: ProduceEvidence): Anomaly[] {
  const out = anomalyLists(KINDS);
  const copies = copiesByBody(evidence.queues);
  const commits = new Map<string, number>();
  for (const t of evidence.db.history())
    for (const w of t.writes) if (w.table === "orders" && "row" in w) commits.set(w.key, t.endedAtMs);

  for (const tx of evidence.txs) {
    const call = evidence.ops.find((op) => op.f === "sendInTransaction" && (op.input as { id: string }).id === tx.id);
    const committedAtMs = commits.get(tx.orderId);
    const committed = evidence.db.row("orders", tx.orderId) !== undefined;
    const found = copies.get(tx.id) ?? [];
    const halves = [...evidence.record.halves].filter(([, h]) => h.request.body === tx.id);
    const offsets = new Set(halves.map(([offset]) => offset));
    const ends = evidence.record.ends.filter((e) => offsets.has(e.request.halfOffset));
    const said = (decision: string) => ends.filter((e) => e.request.decision === decision);
    const ops = call === undefined ? [] : [call];
    const endsInWords = ends
      .map((e) => `${e.from} sent ${e.request.decision}${e.request.fromCheck ? " (a check's answer)" : ""}`)
      .join(", ");

    if (found.length > 0 && !committed)
      out.aborted.push(
        anomaly(
          "aborted read",
          `the message of ${tx.id} was delivered, but its order ${tx.orderId} never committed in the database${endsInWords ? ` (${endsInWords})` : ""}`,
          ops,
        ),
      );
    if (found.length > 1)
      out.duplicate.push(
        anomaly("duplicate", `the message of ${tx.id} is in the real queues ${found.length} times`, ops),
      );
    if (said("commit").length > 0 && said("rollback").length > 0)
      out.conflict.push(
        anomaly(
          "conflicting outcomes",
          `the producers sent both commit and rollback for ${tx.id}: ${endsInWords}. Its order ${committed ? "committed" : "did not commit"} in the database; a producer must never contradict an answer already given`,
          ops,
        ),
      );
    if (committedAtMs !== undefined) {
      const commitOnBroker = Math.floor(evidence.brokerClockAt(committedAtMs));
      const early = found.find((m) => m.storedAtMs < commitOnBroker);
      if (early !== undefined)
        out.early.push(
          anomaly(
            "visible before commit",
            `the message of ${tx.id} was stored in ${TOPIC}/${early.queueId} at ${early.storedAtMs} (broker clock), before its order committed (${commitOnBroker})`,
            ops,
          ),
        );
    }
    if (committed && found.length === 0)
      out.lost.push(
        anomaly(
          "lost write",
          `order ${tx.orderId} of ${tx.id} committed in the database, but its message was never delivered (${evidence.settled} after the faults healed)${endsInWords ? `; the producers sent: ${endsInWords}` : "; no end request ever reached the broker"}`,
          ops,
        ),
      );
    for (const [offset] of halves) {
      if (evidence.record.resolved.has(offset)) continue;
      out.live.push(
        anomaly(
          "not live",
          `half ${offset} of ${tx.id} was still unresolved ${evidence.settled} after the faults healed, though it was checked every ${TIMING.checkIntervalMs} ms${endsInWords ? `; the producers sent: ${endsInWords}` : ""}`,
          ops,
        ),
      );
    }
    if (call?.status === "pending")
      out.live.push(
        anomaly("not live", `${describeOp(call)} was still pending ${evidence.settled} after the faults healed`, ops),
      );
    const invalid = ends.filter((e) => !["commit", "rollback", "unknown"].includes(e.request.decision));
    if (invalid.length > 0)
      out.wrong.push(
        anomaly(
          "wrong answer",
          `${invalid.map((e) => `${e.from} sent the decision ${JSON.stringify(e.request.decision)}`).join(", ")} for ${tx.id}: a decision is commit, rollback or unknown`,
          ops,
        ),
      );
    const requested = evidence.halfRequests?.get(tx.id) ?? 0;
    if (halves.length > 1)
      out.wrong.push(
        anomaly("wrong answer", `${halves.length} halves were sent for ${tx.id}; a transaction sends one`, ops),
      );
    else if (requested > 1)
      out.wrong.push(
        anomaly(
          "wrong answer",
          `the producer sent sendHalf ${requested} times for ${tx.id} (one transaction id; this broker kept one because it deduplicates, but this lab's half store does not: each copy is a half of its own, checked and committed, and its message delivered again); a transaction sends one half, and an unanswered one is HalfNotStored`,
          ops,
        ),
      );
    const asked = tx.checkImmunityMs ?? 0;
    const unasked = halves.find(([, h]) => h.request.checkImmunityMs !== asked);
    if (unasked !== undefined)
      out.wrong.push(
        anomaly(
          "wrong answer",
          `the half of ${tx.id} carries checkImmunityMs ${String(unasked[1].request.checkImmunityMs)}, but its message asked for ${asked} ms (a half carries its message's checkImmunityMs, or 0 if it has none)`,
          ops,
        ),
      );
    if (call !== undefined) out.wrong.push(...wrongResult(call, tx, committed));
  }
  const probes = evidence.probes ?? [];
  const probeCalls = evidence.ops.filter(
    (op) => op.f === "sendInTransaction" && probes.includes((op.input as { id: string }).id),
  );
  const published = probeCalls.some(
    (op) => op.status === "ok" && (op.output as Resolved | undefined)?.decision === "commit",
  );
  if (probes.length > 0 && !published) {
    const results = [...new Set(probeCalls.map((op) => (op.status === "ok" ? JSON.stringify(op.output) : op.status)))];
    out.live.push(
      anomaly(
        "not live",
        `once the faults had healed, p1 ran ${probes.length} transactions one after another, each with a business write that commits, and published none of them (${results.join(", ") || "no call returned"}): a producer whose broker and database are reachable must publish`,
        probeCalls.slice(0, 3),
      ),
    );
  }
  return KINDS.flatMap((kind) => out[kind]);
}

function wrongResult(call: Op, tx: ProducedTx, committed: boolean): Anomaly[] {
  if (call.status === "info" && call.threw !== undefined)
    return [anomaly("wrong answer", `${describeOp(call)}: sendInTransaction rejects only with HalfNotStored`, [call])];
  if (call.status !== "ok") return [];
  const result = call.output as Resolved;
  const state = committed ? "committed" : "did not commit";
  if (result.rejected !== undefined && committed)
    return [
      anomaly(
        "wrong answer",
        `${describeOp(call)}, but order ${tx.orderId} committed: HalfNotStored means the local transaction never ran`,
        [call],
      ),
    ];
  if (result.rejected === undefined && !["commit", "rollback", "unknown"].includes(String(result.decision)))
    return [anomaly("wrong answer", `${describeOp(call)}: a decision is commit, rollback or unknown`, [call])];
  if ((result.decision === "commit" && !committed) || (result.decision === "rollback" && committed))
    return [anomaly("wrong answer", `${describeOp(call)}, but order ${tx.orderId} ${state} in the database`, [call])];
  return [];
}
