/**
 * Bug zoo, lab 03: "UNKNOWN" IS ANSWERED BEFORE THE GUARD.
 *
 * The reference end handler with its steps reordered: a request whose decision is "unknown" is
 * answered `ok pending` as soon as the half is identified, before the handler looks at whether the
 * half is resolved. "Unknown changes nothing, so there is nothing to lock and nothing to look up."
 *
 * It changes nothing, but its reply still has to be true. A check answered "unknown" (the producer
 * could not reach its database) for a half whose producer's own commit was already acknowledged
 * hears "pending": the broker says the half is undecided when it told another request it was
 * committed. A producer or an operator acting on that reply (ending it again, alerting on a stuck
 * transaction) is misled. The fix: identify, lock, then answer every request, "unknown" included,
 * with the first outcome if there is one.
 */
import type {
  EndTransactionReply,
  EndTransactionRequest,
  ServiceContext,
} from "#labs/03-transactional-messages/provided.ts";
import { alreadyResolved } from "../../solution/already-resolved.ts";
import { lockHalf } from "../../solution/lock-half.ts";
import { resolve } from "../../solution/resolve-half.ts";

export async function endTransaction(
  service: ServiceContext,
  request: EndTransactionRequest,
): Promise<EndTransactionReply> {
  const half = await service.halves.read(request.halfOffset);
  if (half === null || half.transactionId !== request.transactionId || half.group !== request.group) {
    return { kind: "noSuchHalf" };
  }
  // The bug: "unknown" is answered before the guard.
  const decision = request.decision;
  if (decision === "unknown") return { kind: "ok", outcome: "pending" };
  return lockHalf(service, half.halfOffset, async () => {
    const earlier = alreadyResolved(service, request);
    if (earlier !== null) return earlier;
    return resolve(service, half, decision);
  });
}
