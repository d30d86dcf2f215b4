/**
 * Bug zoo, lab 03: THE LATEST DECISION WINS.
 *
 * The reference end handler with one part replaced: the guard. It skips a request that repeats
 * the half's outcome, but a request with a different decision is carried out: "if a new decision
 * differs, the producer must know something newer: the check said rollback because the database
 * was slow, and now the producer says commit. The latest word wins."
 *
 * Then a rollback is acknowledged, and later the message appears anyway: a consumer reads a
 * message of a transaction the broker had told someone was rolled back. RocketMQ accepts a commit
 * after a check's rollback in the same way (apache/rocketmq#8158, #2694). The fix: the first
 * outcome is final; every later request hears it, whatever it asks.
 */
import { type EndParts, endTransactionWith } from "../../solution/end-with.ts";
import { endParts } from "../../solution/parts.ts";

const alreadyResolved: EndParts["alreadyResolved"] = (service, request) => {
  const outcome = service.resolutions.get(request.halfOffset);
  // The bug: only a repetition is refused; a different decision replaces the first.
  if (outcome === "committed" && request.decision === "commit") return { kind: "alreadyResolved", outcome };
  if (outcome === "rolledBack" && request.decision === "rollback") return { kind: "alreadyResolved", outcome };
  return null;
};

export const endTransaction = endTransactionWith({ ...endParts, alreadyResolved });
