/**
 * The lease estimate (L2.E). A lease is measured on the broker's clock, from the moment it granted
 * the lock; this node can only estimate it with its own clock. So:
 *   - start counting when the lock *request was sent*: the broker granted it later, so the real
 *     lease ends later than this estimate, never earlier, however slow the network;
 *   - stop `TIMING.lockSafetyMarginMs` early, to allow for this clock running fast or slow, and for
 *     the message a worker starts just before the estimate ends.
 * That is as far as a lease goes: it cannot stop a node that freezes between its check and its
 * write, nor one whose clock jumps. The fencing token does (process-in-place.ts).
 */
import { type LockGrant, TIMING } from "#labs/02-ordered-messages/provided.ts";

export function leaseEndFromRequest(sentAtMs: number, grant: LockGrant): number {
  return sentAtMs + grant.leaseMs - TIMING.lockSafetyMarginMs;
}
