/**
 * L3.E Op records and recovery: when the broker starts, rebuild which halves are resolved from
 * what is durable, before serving anything.
 *
 * RocketMQ rebuilds "which halves are done" from the op queue as its check service scans
 * (fillOpRemoveMap), may hold op records in memory for up to 3 s since RIP-50, and leaves a
 * committed half looking unresolved when a crash falls between the real message and its op. Here:
 * one pass over the store (op-index.ts), then the interrupted commits finished (repair-commits.ts).
 */
import type { BrokerSide, Resolutions } from "#labs/03-transactional-messages/provided.ts";
import { readStoreIndex } from "./op-index.ts";
import { repairCommits } from "./repair-commits.ts";

export async function recoverResolutions(broker: BrokerSide): Promise<Resolutions> {
  return repairCommits(broker, await readStoreIndex(broker));
}
