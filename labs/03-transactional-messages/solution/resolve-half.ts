/**
 * L3.C, acting on a decision: commit or roll back through the half store (L3.A), and only once
 * that is durable, record the outcome and reply. If the store throws, nothing is recorded and the
 * reply says error: the half stays open, and a retry or a check settles it.
 */
import type { EndTransactionReply, HalfMessage, ServiceContext } from "#labs/03-transactional-messages/provided.ts";

export async function resolve(
  service: ServiceContext,
  half: HalfMessage,
  decision: "commit" | "rollback",
): Promise<EndTransactionReply> {
  try {
    if (decision === "commit") await service.halves.commit(half);
    else await service.halves.rollback(half);
  } catch (error) {
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
  const outcome = decision === "commit" ? "committed" : "rolledBack";
  service.resolutions.set(half.halfOffset, outcome);
  return { kind: "ok", outcome };
}
