/**
 * L3.C, assembled from three decisions, each in a file of its own so that each can be got wrong
 * alone (the bug zoo does): `lockHalf` (lock-half.ts: one request per half at a time),
 * `alreadyResolved` (already-resolved.ts: the guard), and `resolve` (resolve-half.ts: commit or
 * roll back, then record).
 *
 * The order is the point: identify the half, then take its lock, then look at whether it is
 * resolved, then act. Looked at outside the lock, two requests for one half could both find it
 * open, and both act: the check and the act must be one step for each half.
 */
import type {
  EndTransactionReply,
  EndTransactionRequest,
  HalfMessage,
  ServiceContext,
} from "#labs/03-transactional-messages/provided.ts";

export interface EndParts {
  /** Runs `work` holding the half's lock: requests for one half one at a time, in arrival order. */
  lockHalf<T>(service: ServiceContext, halfOffset: number, work: () => Promise<T>): Promise<T>;
  /** The reply for a request on a half that is already resolved; null while the half is open. */
  alreadyResolved(service: ServiceContext, request: EndTransactionRequest): EndTransactionReply | null;
  /** Commits or rolls back an open half, records its outcome, and says so. */
  resolve(service: ServiceContext, half: HalfMessage, decision: "commit" | "rollback"): Promise<EndTransactionReply>;
}

export function endTransactionWith(
  parts: EndParts,
): (service: ServiceContext, request: EndTransactionRequest) => Promise<EndTransactionReply> {
  return async (service, request) => {
    const half = await identifyHalf(service, request);
    if (half === null) return { kind: "noSuchHalf" };
    return parts.lockHalf(service, half.halfOffset, async () => {
      const earlier = parts.alreadyResolved(service, request);
      if (earlier !== null) return earlier;
      if (request.decision === "unknown") return { kind: "ok", outcome: "pending" };
      return parts.resolve(service, half, request.decision);
    });
  };
}

/** The half the request is about; null if there is none (RocketMQ's checkPrepareMessage). */
export async function identifyHalf(
  service: ServiceContext,
  request: EndTransactionRequest,
): Promise<HalfMessage | null> {
  const half = await service.halves.read(request.halfOffset);
  // The offset must hold a half of this transaction and group.
  if (half === null || half.transactionId !== request.transactionId || half.group !== request.group) return null;
  return half;
}
