/**
 * L3.F (2 of 2): one partition's transaction state and the read_committed fetch, the reference.
 * The logic is in partition-state-with.ts; its parts (fencing, KIP-890's verification, where a
 * read_committed fetch stops) are in append-gate.ts.
 */
import type { Coordinator, FetchResult, KafkaSide, PartitionState } from "#labs/03-transactional-messages/provided.ts";
import { partitionStateWith } from "./partition-state-with.ts";
import { partitionStateParts } from "./parts.ts";

const partitionState = partitionStateWith(partitionStateParts);

export function openPartitionState(
  kafka: KafkaSide,
  partition: number,
  coordinator: Pick<Coordinator, "verify">,
): PartitionState {
  return partitionState.openPartitionState(kafka, partition, coordinator);
}

export function readCommitted(
  kafka: KafkaSide,
  state: PartitionState,
  partition: number,
  offset: number,
  max: number,
): Promise<FetchResult> {
  return partitionState.readCommitted(kafka, state, partition, offset, max);
}
