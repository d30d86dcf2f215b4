/**
 * Bug zoo, lab 03: SEQUENCES RUN ON ACROSS EPOCHS.
 *
 * The reference partition state with one part replaced: a producer's sequence numbers here count on from its
 * last batch whatever its epoch: "a sequence number orders a producer's batches on a partition, so
 * the next one is always the last one plus one". Under lab 02's idempotent producer, whose epoch
 * never changed, that was true.
 *
 * Here every transaction ends with a new epoch, and the client starts each epoch's sequences from
 * 0 (Kafka's TransactionManager resets them when the epoch is bumped). So the first batch of a
 * producer's second transaction on a partition, sequence 0 under the new epoch, is refused as out
 * of order; the client aborts, and its next transaction meets the same refusal: after its first
 * transaction on a partition, a producer never writes there again. Nothing wrong is ever read. The
 * contract: "the first batch of a new epoch is number 0" (ProducerAppendInfo checks sequences
 * against the same epoch's last one, and expects 0 after an epoch bump).
 */
import type { AppendDecision, TxnBatch } from "#labs/03-transactional-messages/provided.ts";
import { type ProducerEntry, partitionStateWith } from "../../solution/partition-state-with.ts";
import { partitionStateParts } from "../../solution/parts.ts";

function checkSequence(seen: ProducerEntry | undefined, batch: TxnBatch): AppendDecision | null {
  if (seen !== undefined && seen.batchEpoch >= 0) {
    const earlier = seen.recent.find((b) => b.sequence === batch.sequence);
    if (earlier !== undefined && batch.epoch === seen.batchEpoch)
      return { kind: "duplicate", baseOffset: earlier.offset };
    // The bug: sequences run on across epochs, as the producer's count of batches here.
    return batch.sequence === seen.lastSequence + 1 ? null : { kind: "outOfOrder", expected: seen.lastSequence + 1 };
  }
  return batch.sequence === 0 ? null : { kind: "outOfOrder", expected: 0 };
}

export const { openPartitionState, readCommitted } = partitionStateWith({ ...partitionStateParts, checkSequence });
