/**
 * L3.C, one request per half at a time. Deciding a half takes a durable append or two, and an end
 * request can meet another for the same half meanwhile: a duplicate from the network, a retry
 * after a lost reply, or a check's answer arriving beside the producer's own end. Under the half's
 * lock the second one waits, then finds the half resolved. Halves do not wait for each other.
 */
import type { ServiceContext } from "#labs/03-transactional-messages/provided.ts";

export function lockHalf<T>(service: ServiceContext, halfOffset: number, work: () => Promise<T>): Promise<T> {
  return service.locks.run(halfOffset, work);
}
