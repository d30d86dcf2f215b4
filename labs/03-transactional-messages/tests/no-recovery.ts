/**
 * A stand-in for the learner's recovery.ts (L3.E), used where that file is not graded: it
 * recovers nothing. Safe in L3.C and L3.D, where the broker never restarts, so the index it
 * starts with is the one every request builds; and in L3.A, whose stand-in end (plain-end.ts)
 * never reads the index.
 */

import { Resolutions } from "#labs/03-transactional-messages/provided.ts";
import type { BrokerSide } from "#labs/shared/broker/transactions.ts";

export async function noRecovery(_broker: BrokerSide): Promise<Resolutions> {
  return new Resolutions();
}
