/**
 * L3.F: the three questions a partition asks of a transactional batch before it is appended.
 *
 * Fencing compares with the highest epoch seen here in a batch *or a marker*: a marker carries the
 * epoch its transaction was ended with (bumped at every end), so after an end the old epoch is
 * fenced here even if the producer never writes here again.
 *
 * KIP-890: a batch that would open a transaction here is appended only if the coordinator
 * confirms that this producer's transaction is Ongoing, at exactly this epoch, and includes this
 * partition. Without that, a produce request delayed past its transaction's end (the client gave
 * up on it and aborted) would open a transaction no coordinator knows of: no marker would ever
 * close it, and the last stable offset would stay below it for good.
 */
import type { AppendDecision, Coordinator, TxnBatch } from "#labs/03-transactional-messages/provided.ts";
import type { ProducerEntry } from "./partition-state-with.ts";

export function isFenced(seen: ProducerEntry, batch: TxnBatch): boolean {
  return batch.epoch < seen.epoch;
}

/**
 * Sequences count under one epoch [ProducerAppendInfo.checkSequence]: a batch under the epoch of
 * the producer's latest batch here is a retry of a recent one (answered with that batch's offset)
 * or the last sequence plus one; the first batch of a new epoch is number 0, because the client
 * starts counting again whenever its epoch is bumped.
 */
export function checkSequence(seen: ProducerEntry | undefined, batch: TxnBatch): AppendDecision | null {
  if (seen !== undefined && batch.epoch === seen.batchEpoch) {
    const earlier = seen.recent.find((b) => b.sequence === batch.sequence);
    if (earlier !== undefined) return { kind: "duplicate", baseOffset: earlier.offset };
    return batch.sequence === seen.lastSequence + 1 ? null : { kind: "outOfOrder", expected: seen.lastSequence + 1 };
  }
  return batch.sequence === 0 ? null : { kind: "outOfOrder", expected: 0 };
}

export function mayOpen(
  coordinator: Pick<Coordinator, "verify">,
  batch: TxnBatch,
  partition: number,
): Promise<boolean> {
  return coordinator.verify(batch.producerId, batch.epoch, partition);
}

/** A read_committed fetch stops before the last stable offset: what is at or past it is undecided. */
export function readableEnd(lastStableOffset: number, _highWatermark: number): number {
  return lastStableOffset;
}
