/**
 * Lab 03, L3.E: op records and recovery. This is your file.
 *
 * What RocketMQ does not have: its check service rebuilds "which halves are done" from the op
 * queue as it scans, its ops may sit in memory for up to 3 s since RIP-50, and a crash between the
 * real message and the op leaves a committed half that looks unresolved.
 */
import { NotImplemented } from "#lab";
import type { BrokerSide, Resolutions } from "#labs/03-transactional-messages/provided.ts";

/**
 * Rebuilds, when the broker starts and before it serves anything, which halves are resolved.
 *
 * Contract: resolves with an index that holds
 * - every half whose outcome was acknowledged before the crash: "committed" or "rolledBack" from
 *   its op record, "setAside" from SET_ASIDE_TOPIC;
 * - every half whose real message was written but whose op record was not (a crash between the
 *   two appends of commitHalf): "committed". Consumers may already have read its message, so from
 *   this start on it must never be checked into a second copy, rolled back or set aside, and an
 *   end request about it hears "committed". Whether you also append its missing op record is
 *   yours to choose: the next start finds the real message again either way;
 * - and no other half: an unresolved half stays unresolved, to be checked.
 * Reads each queue once (its cost grows with the number of messages, never with their square).
 */
export async function recoverResolutions(broker: BrokerSide): Promise<Resolutions> {
  // YOUR CODE HERE (L3.E)
  void broker;
  throw new NotImplemented("L3.E");
}
