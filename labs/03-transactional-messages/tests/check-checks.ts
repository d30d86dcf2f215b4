/**
 * L3.D's checker (and L3.E's, with `countChecks` off): the checks the broker sent, every end
 * request's reply, the final queues, and the transactions' truth, which the scripted producers
 * hold (what their database would say), never the service's internals.
 *
 * The anomalies, in the order a report leads with them, each with a minimal counterexample:
 * - premature check: a check sent for a half at least a millisecond (the clock's resolution) less
 *   than max(transaction timeout, its immunity) after its sendHalf was invoked (the half cannot
 *   have been stored earlier).
 *     sendHalf(tx4) invoked at 120 ms; check(tx4) sent at 130 ms.
 * - redundant check: a check sent after a reply naming the half's outcome had reached a producer.
 *     end(tx1, rollback) -> ok rolledBack at 80 ms; check(tx1) sent at 400 ms.
 * - wasted check: a half set aside although fewer than TIMING.checkMax checks were sent for it to
 *   a producer the broker itself listed as live; or more than TIMING.checkMax checks sent for one
 *   half (the budget overspent: a half checked 15 times is set aside, not checked again).
 *     half 6 set aside with 3 checks sent; p1 down the whole time.
 *     half 2 checked 16 times (#16 at 1010 ms).
 * - aborted read, duplicate, conflicting outcomes: as L3.C's checker says (check-outcomes.ts), and
 *   aborted read also when the message of a transaction that never committed locally is delivered.
 *     tx3 undecided forever; "p1#3" received.
 * - lost write: as L3.C's, and a half of a transaction that committed locally whose message is in
 *   no real queue once the faults healed and the check budget ran out (set aside, or never ended).
 *     tx2 committed, never ended; 1 s after the heal "p1#2" is nowhere.
 * - unresolved half: that long after the heal, a probe ("unknown" end) still hears "pending", and
 *   no reply ever named the half's outcome.
 *     probe end(tx5, unknown) -> ok pending.
 * - not live: the broker does not answer the probe (2 s of tries), or a half a reply said was set aside, with no SET_ASIDE_TOPIC message naming it
 *   (HALF_OFFSET) with a reason (REASON).
 *     end(tx6, commit) -> alreadyResolved setAside; TRANS_CHECK_MAX_TIME_TOPIC empty.
 * - wrong answer: as L3.C's.
 */
import { type Anomaly, type AnomalyName, anomaly } from "#harness/checkers/anomaly.ts";
import { CLOCK_RESOLUTION_MS } from "#harness/sim/clock.ts";
import { describeOp, type Op } from "#harness/workloads/history.ts";
import { HALF_OFFSET, REASON, type StoredMessage, TIMING, TOPIC } from "#labs/03-transactional-messages/provided.ts";
import type { EndTransactionReply, Resolution } from "#labs/shared/broker/protocol.ts";
import { checkOutcomes, type StoredHalf } from "./check-outcomes.ts";
import type { SentCheck } from "./deployment.ts";

/** A transaction as the scenario ran it: its half (if the broker said where) and its truth. */
export interface CheckedTx {
  transactionId: string;
  body: string;
  send: Op;
  /** Where the half is, from the sendHalf reply or from a check naming it; null if unknown. */
  halfOffset: number | null;
  checkImmunityMs: number;
  /** Whether its local transaction committed, in the end. */
  committed: boolean;
}

export interface ChecksEvidence {
  txs: readonly CheckedTx[];
  checks: readonly SentCheck[];
  ops: readonly Op[];
  queues: readonly StoredMessage[][];
  setAsideTopic: readonly StoredMessage[];
  /** Count checks per half for `wasted check` (off in L3.E: a crash forgets some counts). */
  countChecks: boolean;
}

const ORDER: AnomalyName[] = [
  "premature check",
  "redundant check",
  "wasted check",
  "aborted read",
  "duplicate",
  "conflicting outcomes",
  "lost write",
  "unresolved half",
  "not live",
  "wrong answer",
];

interface EndInput {
  tx: string;
  halfOffset: number;
  decision: string;
}

function named(reply: EndTransactionReply): Resolution | null {
  if (reply.kind === "alreadyResolved") return reply.outcome;
  if (reply.kind === "ok" && reply.outcome !== "pending") return reply.outcome;
  return null;
}

function describeCheck(check: SentCheck): string {
  const c = check.check;
  return `check(${c.transactionId}, half ${c.halfOffset}, #${c.checkTimes}) sent to ${check.target} at ${check.atMs.toFixed(3)}ms`;
}

export function checkChecks(evidence: ChecksEvidence): Anomaly[] {
  const found: Anomaly[] = [];
  const stored = evidence.txs.filter((tx) => tx.halfOffset !== null);
  const halves: StoredHalf[] = stored.map((tx) => ({
    transactionId: tx.transactionId,
    body: tx.body,
    halfOffset: tx.halfOffset as number,
    send: tx.send,
  }));
  const fromOutcomes = checkOutcomes({ halves, ops: evidence.ops, queues: evidence.queues });
  found.push(...fromOutcomes);
  const flagged = (name: AnomalyName, tx: CheckedTx): boolean =>
    fromOutcomes.some((a) => a.name === name && a.ops.includes(tx.send));

  const ends = evidence.ops.filter((op) => op.f === "end" && op.status === "ok");
  const receives = evidence.ops.filter((op) => op.f === "receive");
  const copies = new Map<string, number>();
  for (const queue of evidence.queues) for (const m of queue) copies.set(m.body, (copies.get(m.body) ?? 0) + 1);

  for (const tx of evidence.txs) {
    const checks = evidence.checks.filter((c) => c.check.transactionId === tx.transactionId);
    const mine = ends.filter((op) => (op.input as EndInput).tx === tx.transactionId);
    const received = receives.filter((op) => (op.input as { body: string }).body === tx.body);
    const involved = [tx.send, ...mine, ...received];
    const threshold = Math.max(TIMING.transactionTimeoutMs, tx.checkImmunityMs);
    // The broker reads whole milliseconds: a half stored at 129.7 ms is 600 ms old at 729.0 ms.
    const early = checks.find((c) => c.atMs - tx.send.invokedAtMs <= threshold - CLOCK_RESOLUTION_MS);
    if (early !== undefined)
      found.push(
        anomaly(
          "premature check",
          `${describeCheck(early)}, ${(early.atMs - tx.send.invokedAtMs).toFixed(3)} ms after ${describeOp(tx.send)} was invoked: no half is checked before ${threshold} ms (the transaction timeout, or its immunity) on the broker's clock`,
          [tx.send],
        ),
      );
    const acknowledged = mine
      .filter((op) => named(op.output as EndTransactionReply) !== null)
      .sort((a, b) => (a.completedAtMs ?? 0) - (b.completedAtMs ?? 0))[0];
    if (acknowledged !== undefined) {
      const late = checks.find((c) => c.atMs > (acknowledged.completedAtMs ?? Number.POSITIVE_INFINITY));
      if (late !== undefined)
        found.push(
          anomaly(
            "redundant check",
            `${describeCheck(late)}, after ${describeOp(acknowledged)} had acknowledged the half's outcome: a resolved half is never checked again`,
            [tx.send, acknowledged],
          ),
        );
    }
    if (tx.halfOffset === null) continue;
    const offset = tx.halfOffset;
    const asideSaid = mine.find((op) => named(op.output as EndTransactionReply) === "setAside");
    const entry = evidence.setAsideTopic.find((m) => m.properties[HALF_OFFSET] === String(offset));
    const setAside = asideSaid !== undefined || entry !== undefined;
    const forHalf = checks.filter((c) => c.check.halfOffset === offset);
    if (evidence.countChecks && forHalf.length > TIMING.checkMax)
      found.push(
        anomaly(
          "wasted check",
          `half ${offset} (${tx.transactionId}) was checked ${forHalf.length} times, the last ${describeCheck(forHalf.at(-1) as SentCheck)}: after ${TIMING.checkMax} checks a half is set aside, not checked again`,
          involved,
        ),
      );
    if (evidence.countChecks && setAside) {
      const live = checks.filter((c) => c.live && c.check.halfOffset === offset).length;
      if (live < TIMING.checkMax)
        found.push(
          anomaly(
            "wasted check",
            `half ${offset} (${tx.transactionId}) was set aside after ${live} check(s) sent to a live producer (${checks.length} in all): it may be set aside only once ${TIMING.checkMax} checks reached one`,
            involved,
          ),
        );
    }
    const delivered = (copies.get(tx.body) ?? 0) > 0 || received.length > 0;
    if (delivered && !tx.committed && !flagged("aborted read", tx))
      found.push(
        anomaly(
          "aborted read",
          `the message "${tx.body}" of ${tx.transactionId} was delivered, but its local transaction never committed (every check's answer came from it)`,
          involved,
        ),
      );
    if (!delivered && tx.committed && !flagged("lost write", tx))
      found.push(
        anomaly(
          "lost write",
          `${tx.transactionId}'s local transaction committed, but its message "${tx.body}" is in no real queue of ${TOPIC} once the faults healed and the check budget ran out${setAside ? " (the half was set aside)" : ""}`,
          involved,
        ),
      );
    const probe = mine.filter((op) => op.client === "auditor").at(-1);
    // A half some reply had already called resolved is not unresolved: a probe hearing "pending"
    // then is a wrong answer, which L3.C's checker reports.
    const everNamed = mine.some((op) => op !== probe && named(op.output as EndTransactionReply) !== null);
    if (probe !== undefined && (probe.output as EndTransactionReply).kind === "ok" && !everNamed)
      found.push(
        anomaly(
          "unresolved half",
          `${describeOp(probe)}: half ${offset} (${tx.transactionId}) is still pending ${TIMING.checkIntervalMs * (TIMING.checkMax + 5)} ms after the faults healed and its check budget could have run out`,
          involved,
        ),
      );
    const lastProbe = evidence.ops
      .filter((op) => op.client === "auditor" && op.f === "end" && (op.input as EndInput).tx === tx.transactionId)
      .at(-1);
    const unanswered = lastProbe !== undefined && lastProbe.status !== "ok" ? lastProbe : undefined;
    if (unanswered !== undefined)
      found.push(
        anomaly(
          "not live",
          `${describeOp(unanswered)}: the broker did not answer a request for 2 s after the faults healed (and the check budget ran out)`,
          [tx.send, unanswered],
        ),
      );
    if (asideSaid !== undefined && (entry === undefined || (entry.properties[REASON] ?? "") === ""))
      found.push(
        anomaly(
          "not live",
          `${describeOp(asideSaid)}, but ${entry === undefined ? `no message of TRANS_CHECK_MAX_TIME_TOPIC names half ${offset}` : "its TRANS_CHECK_MAX_TIME_TOPIC message gives no REASON"}: operators must find every half set aside, and why`,
          [tx.send, asideSaid],
        ),
      );
  }
  return ORDER.flatMap((name) => found.filter((a) => a.name === name));
}
