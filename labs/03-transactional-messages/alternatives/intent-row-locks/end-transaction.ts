/**
 * L3.C, written from the contract only, differently from the reference: no lock object. Each
 * half being decided has its decision's promise in a map; a request for that half waits for it,
 * then looks again (JavaScript runs nothing else between that look and the map's update, so the
 * look and the claim are one step). The map is per service, in a WeakMap: it dies with the
 * broker incarnation that made it.
 */
import type {
  EndTransactionReply,
  EndTransactionRequest,
  ServiceContext,
} from "#labs/03-transactional-messages/provided.ts";

const deciding = new WeakMap<ServiceContext, Map<number, Promise<unknown>>>();

export async function endTransaction(
  service: ServiceContext,
  request: EndTransactionRequest,
): Promise<EndTransactionReply> {
  const half = await service.halves.read(request.halfOffset);
  if (half === null || half.transactionId !== request.transactionId || half.group !== request.group)
    return { kind: "noSuchHalf" };
  let running = deciding.get(service);
  if (running === undefined) {
    running = new Map();
    deciding.set(service, running);
  }
  for (let other = running.get(half.halfOffset); other !== undefined; other = running.get(half.halfOffset)) {
    await other.catch(() => {});
  }
  const outcome = service.resolutions.get(half.halfOffset);
  if (outcome !== undefined) return { kind: "alreadyResolved", outcome };
  if (request.decision === "unknown") return { kind: "ok", outcome: "pending" };
  const decision = request.decision;
  const work = (async (): Promise<EndTransactionReply> => {
    try {
      await (decision === "commit" ? service.halves.commit(half) : service.halves.rollback(half));
    } catch (error) {
      return { kind: "error", message: String(error) };
    }
    const done = decision === "commit" ? "committed" : "rolledBack";
    service.resolutions.set(half.halfOffset, done);
    return { kind: "ok", outcome: done };
  })();
  running.set(half.halfOffset, work);
  try {
    return await work;
  } finally {
    if (running.get(half.halfOffset) === work) running.delete(half.halfOffset);
  }
}
