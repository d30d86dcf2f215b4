/**
 * L3.C's checker: every end request's reply, against the final queues.
 *
 * The scripts misbehave on purpose (duplicates, late contradicting ends, check answers racing the
 * producer's own end, wrong transaction ids), so the ground truth is never the script: it is the
 * broker's own replies and what the queues hold. A half's message in a real queue means it was
 * committed; a reply naming an outcome is the broker's word for it.
 *
 * The anomalies, in the order a report leads with them, each with a minimal counterexample:
 * - aborted read: a half's message is in the real queues (or was received) although a reply
 *   acknowledged its rollback, or no commit was ever sent for it.
 *     end(tx2, rollback) -> ok rolledBack; 80 ms later end(tx2, commit) -> ok committed; "p1#2" in orders.
 * - duplicate: one half's message twice in the real queues.
 *     end(tx1, commit) twice at once -> ok committed, ok committed; "p1#1" at orders/0@3 and @4.
 * - conflicting outcomes: two replies for one half name different outcomes.
 *     end(tx3, commit) -> ok committed; end(tx3, rollback, fromCheck) -> ok rolledBack.
 * - lost write: a reply named the half committed, and its message is in no real queue.
 *     end(tx4, commit) -> alreadyResolved committed; "p1#4" nowhere.
 * - wrong answer: a reply that contradicts its request or the contract: a reply the protocol does
 *   not have, anything but noSuchHalf for a wrong transaction id or group or an offset where no
 *   half was stored, noSuchHalf for a half the broker acknowledged, an ok
 *   outcome other than the one asked, two requests that each decided the half, or "pending" for a
 *   half whose resolution an earlier reply had already acknowledged; where the broker's store never
 *   fails (L3.C), any `error` reply.
 *     end(tx5-wrong, commit) -> ok committed.
 *     end(tx6, commit) -> error, in a run with no disk fault.
 * An end that got no answer may have taken effect or not; either is allowed.
 */
import { type Anomaly, anomaly, anomalyLists } from "#harness/checkers/anomaly.ts";
import { describeOp, type Op } from "#harness/workloads/history.ts";
import { GROUP, type StoredMessage, TOPIC } from "#labs/03-transactional-messages/provided.ts";
import type { EndTransactionReply, Resolution } from "#labs/shared/broker/protocol.ts";
import { copiesByBody } from "./copies.ts";

/** A half the scenario sent, with where the broker said it stored it. */
export interface StoredHalf {
  transactionId: string;
  body: string;
  halfOffset: number;
  send: Op;
}

interface EndInput {
  tx: string;
  halfOffset: number;
  decision: "commit" | "rollback" | "unknown";
  fromCheck?: boolean;
  group?: string;
}

export interface OutcomesEvidence {
  halves: readonly StoredHalf[];
  ops: readonly Op[];
  queues: readonly StoredMessage[][];
  /** The broker's store never fails in this run: an `error` reply has no cause but the handler. */
  storeNeverFails?: boolean;
}

/** The outcome a reply names, if it names one. */
function named(reply: EndTransactionReply): Resolution | null {
  if (reply.kind === "alreadyResolved") return reply.outcome;
  if (reply.kind === "ok" && reply.outcome !== "pending") return reply.outcome;
  return null;
}

/** The kinds of anomaly this checker finds, in the order its report gives them. */
const KINDS = ["aborted", "duplicate", "conflict", "lost", "wrong"] as const;

export function checkOutcomes(evidence: OutcomesEvidence): Anomaly[] {
  const out = anomalyLists(KINDS);
  const copies = copiesByBody(evidence.queues);
  const ends = evidence.ops.filter((op) => op.f === "end");
  const receives = evidence.ops.filter((op) => op.f === "receive");

  for (const half of evidence.halves) {
    const mine = ends.filter((op) => (op.input as EndInput).halfOffset === half.halfOffset);
    const genuine = mine.filter((op) => isGenuine(op, half));
    const answered = genuine.filter((op) => op.status === "ok");
    const said = (outcome: Resolution[]): Op[] =>
      answered.filter((op) => {
        const o = named(op.output as EndTransactionReply);
        return o !== null && outcome.includes(o);
      });
    const committedSaid = said(["committed"]);
    const notCommittedSaid = said(["rolledBack", "setAside"]);
    const found = copies.get(half.body) ?? [];
    const received = receives.filter((op) => (op.input as { body: string }).body === half.body);
    const commitSent = genuine.some((op) => (op.input as EndInput).decision === "commit");
    const involved = [half.send, ...mine, ...received];

    if ((found.length > 0 || received.length > 0) && (notCommittedSaid.length > 0 || !commitSent)) {
      const why =
        notCommittedSaid.length > 0
          ? `${describeOp(notCommittedSaid[0] as Op)} had said it would never be delivered`
          : "no commit was ever sent for it";
      out.aborted.push(
        anomaly(
          "aborted read",
          `the message "${half.body}" of ${half.transactionId} reached a real queue, but ${why}`,
          involved,
        ),
      );
    }
    if (found.length > 1)
      out.duplicate.push(
        anomaly(
          "duplicate",
          `the message "${half.body}" of ${half.transactionId} is in the real queues ${found.length} times (${found.map((m) => `${TOPIC}/${m.queueId}@${m.queueOffset}`).join(", ")}): a half is committed once, however many commits arrive`,
          involved,
        ),
      );
    if (committedSaid.length > 0 && notCommittedSaid.length > 0)
      out.conflict.push(
        anomaly(
          "conflicting outcomes",
          `half ${half.halfOffset} (${half.transactionId}) was given two outcomes: ${describeOp(committedSaid[0] as Op)} and ${describeOp(notCommittedSaid[0] as Op)}; a half has one outcome, the first`,
          involved,
        ),
      );
    if (committedSaid.length > 0 && found.length === 0)
      out.lost.push(
        anomaly(
          "lost write",
          `${describeOp(committedSaid[0] as Op)} said half ${half.halfOffset} was committed, but "${half.body}" is in no real queue`,
          involved,
        ),
      );
    out.wrong.push(...wrongReplies(half, mine, answered));
  }
  const known = new Set(evidence.halves.map((h) => h.halfOffset));
  for (const op of ends) {
    if (op.status !== "ok") continue;
    const reply = op.output as EndTransactionReply;
    const invalid = malformed(reply);
    if (invalid !== null) out.wrong.push(anomaly("wrong answer", `${describeOp(op)}: ${invalid}`, [op]));
    else if (reply.kind === "error" && evidence.storeNeverFails === true)
      out.wrong.push(
        anomaly(
          "wrong answer",
          `${describeOp(op)}: the broker's store never fails in this part, so nothing can make a commit or a rollback fail; error is for a store that threw`,
          [op],
        ),
      );
    else if (
      !known.has((op.input as EndInput).halfOffset) &&
      isNowhere((op.input as EndInput).halfOffset, evidence) &&
      reply.kind !== "noSuchHalf"
    )
      out.wrong.push(
        anomaly(
          "wrong answer",
          `${describeOp(op)}: no half was ever stored at that offset; the reply must be noSuchHalf`,
          [op],
        ),
      );
  }
  return KINDS.flatMap((kind) => out[kind]);
}

function isNowhere(offset: number, evidence: OutcomesEvidence): boolean {
  return offset < 0 || offset >= nowhere(evidence);
}

/** The first offset no half can have: past every half the broker could have stored in this run. */
function nowhere(evidence: OutcomesEvidence): number {
  return (
    Math.max(0, ...evidence.halves.map((h) => h.halfOffset)) +
    evidence.ops.filter((op) => op.f === "sendHalf").length * 2 +
    1
  );
}

const OUTCOMES: Record<string, readonly string[]> = {
  ok: ["committed", "rolledBack", "pending"],
  alreadyResolved: ["committed", "rolledBack", "setAside"],
};

/** What is wrong with a reply the protocol does not have (null: it is one of its replies). */
function malformed(reply: EndTransactionReply): string | null {
  const kind = (reply as { kind?: unknown }).kind;
  if (kind === "noSuchHalf" || kind === "error") return null;
  const outcomes = typeof kind === "string" ? OUTCOMES[kind] : undefined;
  if (outcomes === undefined)
    return `the reply's kind ${JSON.stringify(kind)} is none of the protocol's (ok, alreadyResolved, noSuchHalf, error)`;
  const outcome = (reply as { outcome?: unknown }).outcome;
  if (typeof outcome !== "string" || !outcomes.includes(outcome))
    return `an ${kind} reply names its outcome, one of ${outcomes.join(", ")}; this one says ${JSON.stringify(outcome)}`;
  return null;
}

/** A request that names the half's own transaction and group (the others must be refused). */
function isGenuine(op: Op, half: StoredHalf): boolean {
  const input = op.input as EndInput;
  return input.tx === half.transactionId && (input.group ?? GROUP) === GROUP;
}

function wrongReplies(half: StoredHalf, mine: Op[], answered: Op[]): Anomaly[] {
  const wrong: Anomaly[] = [];
  const say = (text: string, ops: Op[]) => wrong.push(anomaly("wrong answer", text, [half.send, ...ops]));
  for (const op of mine) {
    if (op.status !== "ok") continue;
    const reply = op.output as EndTransactionReply;
    const input = op.input as EndInput;
    // A reply the protocol does not have is reported once, by checkOutcomes.
    if (malformed(reply) !== null) continue;
    if (!isGenuine(op, half)) {
      if (reply.kind !== "noSuchHalf")
        say(
          `${describeOp(op)}: half ${half.halfOffset} belongs to ${half.transactionId} of ${GROUP}; the reply must be noSuchHalf`,
          [op],
        );
      continue;
    }
    if (reply.kind === "noSuchHalf") {
      say(`${describeOp(op)}: the broker acknowledged storing this half at offset ${half.halfOffset}`, [op]);
      continue;
    }
    if (reply.kind !== "ok") continue;
    const asked = { commit: "committed", rollback: "rolledBack", unknown: "pending" }[input.decision];
    if (reply.outcome !== asked) say(`${describeOp(op)}: an "ok" reply says what this request did, ${asked}`, [op]);
    if (reply.outcome === "pending") {
      const before = answered.find(
        (other) => named(other.output as EndTransactionReply) !== null && (other.completedAtMs ?? 0) < op.invokedAtMs,
      );
      if (before !== undefined)
        say(
          `${describeOp(op)}: ${describeOp(before)} had already acknowledged the half's outcome; the reply must be alreadyResolved`,
          [before, op],
        );
    }
  }
  const decided = answered.filter((op) => {
    const reply = op.output as EndTransactionReply;
    return reply.kind === "ok" && reply.outcome !== "pending";
  });
  if (decided.length > 1)
    say(
      `${decided.map(describeOp).join(" and ")}: each decided half ${half.halfOffset}; after the first, a request must hear alreadyResolved`,
      decided,
    );
  return wrong;
}
