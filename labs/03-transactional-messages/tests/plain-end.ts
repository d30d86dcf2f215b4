/**
 * A stand-in for the learner's end-transaction.ts (L3.C), used where that file is not graded
 * (L3.A): one decision per half, no guard against a second one. It is safe there because L3.A's
 * scripted producer sends at most one end per half and never retries, so no half ever meets two.
 *
 * It reads the half through the learner's half store, checks that it belongs to the request's
 * transaction and group, and commits or rolls back through the learner's half store.
 */
import type {
  EndTransactionReply,
  EndTransactionRequest,
  ServiceContext,
} from "#labs/03-transactional-messages/provided.ts";

export async function plainEnd(service: ServiceContext, request: EndTransactionRequest): Promise<EndTransactionReply> {
  const half = await service.halves.read(request.halfOffset);
  if (half === null || half.transactionId !== request.transactionId || half.group !== request.group) {
    return { kind: "noSuchHalf" };
  }
  if (request.decision === "unknown") return { kind: "ok", outcome: "pending" };
  try {
    if (request.decision === "commit") await service.halves.commit(half);
    else await service.halves.rollback(half);
  } catch (error) {
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
  const outcome = request.decision === "commit" ? "committed" : "rolledBack";
  service.resolutions.set(half.halfOffset, outcome);
  return { kind: "ok", outcome };
}
