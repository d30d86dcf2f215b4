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
import type {
  EndTransactionReply,
  EndTransactionRequest,
  ServiceContext,
} from "#labs/03-transactional-messages/provided.ts";
import { endTransactionWith } from "../../solution/end-with.ts";
import { lockHalf } from "../../solution/lock-half.ts";
import { resolve } from "../../solution/resolve-half.ts";

function alreadyResolved(service: ServiceContext, request: EndTransactionRequest): EndTransactionReply | null {
  const outcome = service.resolutions.get(request.halfOffset);
  if (outcome === undefined) return null;
  const asked = { commit: "committed", rollback: "rolledBack", unknown: null }[request.decision];
  // The bug: only a repetition is refused; a different decision replaces the first.
  return outcome === asked ? { kind: "alreadyResolved", outcome } : null;
}

const endWith = endTransactionWith({ lockHalf, alreadyResolved, resolve });

export function endTransaction(service: ServiceContext, request: EndTransactionRequest): Promise<EndTransactionReply> {
  return endWith(service, request);
}
