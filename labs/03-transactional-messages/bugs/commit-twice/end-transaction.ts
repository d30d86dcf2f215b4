/**
 * Bug zoo, lab 03: A REPEATED COMMIT IS CARRIED OUT AGAIN.
 *
 * The reference end handler with one part replaced: the guard. It refuses a request that
 * contradicts the half's outcome (a commit after a rollback), but a request that repeats it is
 * done again: "an end request is the producer telling me what happened; if it says commit, I
 * commit. Why would a producer say commit twice?"
 *
 * It does: its reply was lost and it retried; the network duplicated the request; a check's
 * answer arrived beside the producer's own end. Each repeated commit writes the real message
 * again. RocketMQ's EndTransactionProcessor does exactly this (apache/rocketmq#5574): it re-reads
 * the half and sends the final message on every commit, whether the half was already committed
 * or not. The fix: a resolved half answers every later request with its first outcome and changes
 * nothing.
 */
import type {
  EndTransactionReply,
  EndTransactionRequest,
  ServiceContext,
} from "#labs/03-transactional-messages/provided.ts";
import { endTransactionWith } from "../../solution/end-with.ts";
import { endParts } from "../../solution/parts.ts";

function alreadyResolved(service: ServiceContext, request: EndTransactionRequest): EndTransactionReply | null {
  const outcome = service.resolutions.get(request.halfOffset);
  const repeated =
    (outcome === "committed" && request.decision === "commit") ||
    (outcome === "rolledBack" && request.decision === "rollback");
  // The bug: the same decision again is not refused; it is carried out a second time.
  return outcome === undefined || repeated ? null : { kind: "alreadyResolved", outcome };
}

export const endTransaction = endTransactionWith({ ...endParts, alreadyResolved });
