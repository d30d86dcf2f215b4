/**
 * L3.A's checker: what the scripted producer, the consumer and the auditor saw of the halves.
 *
 * Each transaction's body is unique, so a message is known by its body wherever it lands. The
 * evidence: the producer's `sendHalf` and `end` operations with the broker's replies, the
 * consumer's `receive` operations, the real queues and the halves as the auditor read them once
 * the faults had healed (the halves through the learner's `readHalf`, called on the broker).
 *
 * The anomalies, in the order a report leads with them, each with a minimal counterexample:
 * - aborted read: a message whose transaction never sent a commit appears.
 *     sendHalf(tx3) -> {halfOffset: 2}; end(tx3, rollback) -> ok rolledBack; "p1#3" in orders/1.
 * - duplicate: one half's message twice in the real queues.
 *     end(tx1, commit) -> ok committed; "p1#1" at orders/0 offsets 4 and 5.
 * - visible before commit: the consumer received a message before its commit was even sent.
 *     sendHalf(tx2) at 10 ms; receive("p1#2") at 20 ms; end(tx2, commit) at 35 ms.
 * - lost write: an acknowledged commit whose message is missing once faults healed, or an
 *   acknowledged half that the half store no longer has.
 *     end(tx4, commit) -> ok committed; broker loses power; orders/0 holds no "p1#4".
 *   Likewise an acknowledged commit or rollback whose op record (HALF_OFFSET, OUTCOME) is not in
 *   OP_TOPIC.
 *     end(tx6, rollback) -> ok rolledBack; broker loses power; no op record with HALF_OFFSET 5.
 * - not live: once the faults healed, p1 sent a half and its commit, again with new transactions
 *   while anything was lost, and no commit was acknowledged.
 * - wrong answer: a committed message that differs from its half (queue, key, body, its TX_ID or
 *   HALF_OFFSET property), an op record whose OUTCOME is not the acknowledged decision, a reply the
 *   protocol does not have, a half read back with fields other than those sent, a half read at an
 *   offset where none was stored, or noSuchHalf for a half the broker acknowledged.
 *     sendHalf(tx5, queue 2, key "k5") -> {halfOffset: 0}; readHalf(0) -> queueId 0.
 * An end that got no answer may have taken effect or not: its message may appear, once at most.
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { describeOp, type Op } from "#harness/workloads/history.ts";
import {
  GROUP,
  HALF_OFFSET,
  type HalfMessage,
  OP_TOPIC,
  OUTCOME,
  type StoredMessage,
  TOPIC,
  TX_ID,
} from "#labs/03-transactional-messages/provided.ts";
import type { EndTransactionReply } from "#labs/shared/broker/protocol.ts";

/** A transaction as the scenario scripted it. */
export interface ScriptedTx {
  transactionId: string;
  queueId: number;
  key: string;
  body: string;
  bornAtMs: number;
  checkImmunityMs: number;
}

/** What the auditor read back through `readHalf`, by half offset. */
export type HalvesRead = Map<number, HalfMessage | null>;

export interface HalvesEvidence {
  txs: readonly ScriptedTx[];
  /** The producer that sent every half. */
  producer: string;
  ops: readonly Op[];
  queues: readonly StoredMessage[][];
  halvesRead: HalvesRead;
  /** OP_TOPIC once the faults healed. */
  opRecords: readonly StoredMessage[];
  /** The transactions sent once the faults had healed, one of whose halves must be acknowledged. */
  probes: readonly string[];
  /** `readHalf` at the end of HALF_TOPIC, where nothing was stored: must be null. */
  pastTheEnd: { offset: number; half: HalfMessage | null };
  /** The broker's clock at a true time (to place a half's storedAtMs). */
  brokerClockAt(trueMs: number): number;
}

interface Found {
  queueId: number;
  message: StoredMessage;
}

export function checkHalves(evidence: HalvesEvidence): Anomaly[] {
  const byName: Record<"aborted" | "duplicate" | "early" | "lost" | "live" | "wrong", Anomaly[]> = {
    aborted: [],
    duplicate: [],
    early: [],
    lost: [],
    live: [],
    wrong: [],
  };
  const found = new Map<string, Found[]>();
  evidence.queues.forEach((queue, queueId) => {
    for (const message of queue) found.set(message.body, [...(found.get(message.body) ?? []), { queueId, message }]);
  });
  const sends = evidence.ops.filter((op) => op.f === "sendHalf");
  const ends = evidence.ops.filter((op) => op.f === "end");
  const receives = evidence.ops.filter((op) => op.f === "receive");

  for (const tx of evidence.txs) {
    const send = sends.find((op) => (op.input as { tx: string }).tx === tx.transactionId);
    const end = ends.find((op) => (op.input as { tx: string }).tx === tx.transactionId);
    const decision = (end?.input as { decision?: string } | undefined)?.decision;
    const reply = end?.status === "ok" ? (end.output as EndTransactionReply) : null;
    const copies = found.get(tx.body) ?? [];
    const received = receives.filter((op) => (op.input as { body: string }).body === tx.body);
    const halfOffset = send?.status === "ok" ? (send.output as { halfOffset: number }).halfOffset : null;
    const involved = [send, end, ...received].filter((op): op is Op => op !== undefined);

    if ((copies.length > 0 || received.length > 0) && decision !== "commit") {
      const why =
        end === undefined ? "no end request was ever sent for it" : `the only end request was ${describeOp(end)}`;
      byName.aborted.push(
        anomaly(
          "aborted read",
          `the message "${tx.body}" of ${tx.transactionId} was ${copies.length > 0 ? "in the real queue" : "received"}, but ${why}: a half's message must reach consumers only once its transaction commits`,
          involved,
        ),
      );
    }
    if (copies.length > 1) {
      const where = copies.map((c) => `${TOPIC}/${c.queueId}@${c.message.queueOffset}`).join(", ");
      byName.duplicate.push(
        anomaly(
          "duplicate",
          `the message "${tx.body}" of ${tx.transactionId} is in the real queues ${copies.length} times (${where}); one commit must write it once`,
          involved,
        ),
      );
    }
    if (decision === "commit" && end !== undefined) {
      const early = received.find((op) => op.invokedAtMs < end.invokedAtMs);
      if (early !== undefined)
        byName.early.push(
          anomaly(
            "visible before commit",
            `the consumer received "${tx.body}" at ${early.invokedAtMs} ms, before its commit was sent at ${end.invokedAtMs} ms: a half must be invisible until it is committed`,
            [early, end, ...(send ? [send] : [])],
          ),
        );
    }
    if (reply?.kind === "ok" && reply.outcome === "committed" && copies.length === 0 && end !== undefined) {
      byName.lost.push(
        anomaly(
          "lost write",
          `${describeOp(end)} was acknowledged, but once the faults healed "${tx.body}" was in no queue of ${TOPIC}: a commit is acknowledged only once its message is durable`,
          involved,
        ),
      );
    }
    if (reply?.kind === "noSuchHalf" && end !== undefined && halfOffset !== null)
      byName.wrong.push(
        anomaly(
          "wrong answer",
          `${describeOp(end)}: the broker acknowledged this half at offset ${halfOffset}, so it exists (readHalf did not find it?)`,
          involved,
        ),
      );
    if (reply?.kind === "ok" && reply.outcome !== "pending" && end !== undefined && halfOffset !== null) {
      const want = reply.outcome === "committed" ? "commit" : "rollback";
      const ops = evidence.opRecords.filter((m) => m.properties[HALF_OFFSET] === String(halfOffset));
      if (ops.length === 0)
        byName.lost.push(
          anomaly(
            "lost write",
            `${describeOp(end)} was acknowledged, but once the faults healed ${OP_TOPIC} held no op record with ${HALF_OFFSET} ${halfOffset}: the decision must be durable before the reply`,
            involved,
          ),
        );
      else if (ops.some((m) => m.properties[OUTCOME] !== want))
        byName.wrong.push(
          anomaly(
            "wrong answer",
            `the op record of half ${halfOffset} says ${OUTCOME} ${JSON.stringify(ops.find((m) => m.properties[OUTCOME] !== want)?.properties[OUTCOME])}, but the broker acknowledged ${want}`,
            involved,
          ),
        );
    }
    for (const copy of copies) {
      const wrong = realMessageMismatch(tx, halfOffset, copy);
      if (wrong !== null)
        byName.wrong.push(anomaly("wrong answer", `the committed message "${tx.body}" ${wrong}`, involved));
    }
    if (halfOffset !== null && send !== undefined) checkHalfRead(evidence, tx, halfOffset, send, byName);
  }
  const isProbe = (op: Op) => evidence.probes.includes((op.input as { tx: string }).tx);
  const probeEnds = ends.filter((op) => isProbe(op) && op.status === "ok");
  if (evidence.probes.length > 0 && !probeEnds.some((op) => isCommitted(op.output as EndTransactionReply))) {
    const answers = probeEnds.map((op) => JSON.stringify(op.output)).join(", ");
    byName.live.push(
      anomaly(
        "not live",
        `once the faults had healed, p1 sent a half and its commit with ${evidence.probes.length} new transactions, one after the other, and never heard a commit acknowledged (${answers ? `the broker answered ${answers}` : "no commit was answered"})`,
        [...sends.filter(isProbe), ...probeEnds],
      ),
    );
  }
  for (const op of sends) {
    const malformed = (op.output as { malformed?: unknown } | undefined)?.malformed;
    if (malformed !== undefined)
      byName.wrong.push(
        anomaly(
          "wrong answer",
          `${describeOp(op)}: the reply to sendHalf is ok (with the half's offset), noSuchTopic or error`,
          [op],
        ),
      );
  }
  if (evidence.pastTheEnd.half !== null) {
    byName.wrong.push(
      anomaly(
        "wrong answer",
        `readHalf(${evidence.pastTheEnd.offset}) returned a half, but HALF_TOPIC ends before that offset: it must return null`,
      ),
    );
  }
  return [...byName.aborted, ...byName.duplicate, ...byName.early, ...byName.lost, ...byName.live, ...byName.wrong];
}

function isCommitted(reply: EndTransactionReply): boolean {
  return reply.kind === "ok" && reply.outcome === "committed";
}

function realMessageMismatch(tx: ScriptedTx, halfOffset: number | null, copy: Found): string | null {
  const { message } = copy;
  if (copy.queueId !== tx.queueId)
    return `is in ${TOPIC}/${copy.queueId}, but its half was sent for queue ${tx.queueId}`;
  if (message.key !== tx.key) return `has key "${message.key}", but its half was sent with key "${tx.key}"`;
  if (message.properties[TX_ID] !== tx.transactionId)
    return `carries ${TX_ID} ${JSON.stringify(message.properties[TX_ID])}, not "${tx.transactionId}"`;
  if (halfOffset !== null && message.properties[HALF_OFFSET] !== String(halfOffset))
    return `carries ${HALF_OFFSET} ${JSON.stringify(message.properties[HALF_OFFSET])}, but its half is at offset ${halfOffset}`;
  return null;
}

/** The half read back must be the one sent: every field, and storedAtMs within its request. */
function checkHalfRead(
  evidence: HalvesEvidence,
  tx: ScriptedTx,
  halfOffset: number,
  send: Op,
  byName: Record<"lost" | "wrong", Anomaly[]>,
): void {
  const read = evidence.halvesRead.get(halfOffset);
  if (read === undefined) return;
  const others = evidence.ops.filter(
    (op) =>
      op.f === "sendHalf" &&
      op !== send &&
      op.status === "ok" &&
      (op.output as { halfOffset: number }).halfOffset === halfOffset,
  );
  if (read === null || others.length > 0) {
    const what =
      read === null
        ? `readHalf(${halfOffset}) found nothing there once the faults healed`
        : `another half was acknowledged at the same offset (${others.map(describeOp).join(", ")})`;
    byName.lost.push(
      anomaly(
        "lost write",
        `${describeOp(send)} was acknowledged, but ${what}: a half is acknowledged only once it is durable`,
        [send, ...others],
      ),
    );
    return;
  }
  const expected: Omit<HalfMessage, "storedAtMs"> = {
    halfOffset,
    transactionId: tx.transactionId,
    group: GROUP,
    producerId: evidence.producer,
    topic: TOPIC,
    queueId: tx.queueId,
    key: tx.key,
    body: tx.body,
    bornAtMs: tx.bornAtMs,
    checkImmunityMs: tx.checkImmunityMs,
  };
  const differences: string[] = [];
  for (const [field, value] of Object.entries(expected)) {
    const got = (read as unknown as Record<string, unknown>)[field];
    if (got !== value) differences.push(`${field} ${JSON.stringify(got)} instead of ${JSON.stringify(value)}`);
  }
  // Stores keep whole milliseconds.
  const fromMs = Math.floor(evidence.brokerClockAt(send.invokedAtMs));
  const toMs = Math.ceil(evidence.brokerClockAt(send.completedAtMs ?? send.invokedAtMs));
  if (!(read.storedAtMs >= fromMs && read.storedAtMs <= toMs))
    differences.push(
      `storedAtMs ${read.storedAtMs}, not the broker's clock while the half was stored (${fromMs} to ${toMs})`,
    );
  if (differences.length > 0)
    byName.wrong.push(anomaly("wrong answer", `readHalf(${halfOffset}) returned ${differences.join(", ")}`, [send]));
}
