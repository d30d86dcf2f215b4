/**
 * L3.F (2 of 2): one partition's transaction state and the read_committed fetch, the reference.
 * The logic is in partition-state-with.ts; its parts (fencing, KIP-890's verification, where a
 * read_committed fetch stops) are in append-gate.ts.
 */
import type { KafkaParts, PartitionState, ReadCommitted } from "#labs/03-transactional-messages/provided.ts";
import { partitionStateWith } from "./partition-state-with.ts";
import { partitionStateParts } from "./parts.ts";

const partitionState = partitionStateWith(partitionStateParts);

export function openPartitionState(...args: Parameters<KafkaParts["openPartitionState"]>): PartitionState {
  return partitionState.openPartitionState(...args);
}

export function readCommitted(...args: Parameters<ReadCommitted>): ReturnType<ReadCommitted> {
  return partitionState.readCommitted(...args);
}
