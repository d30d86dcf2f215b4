/**
 * Lab 03, L3.F (2 of 2): a partition's transaction state and the read_committed fetch. This is
 * your file.
 *
 * Kafka's ProducerStateManager and ProducerAppendInfo: epoch fencing per producer, the first
 * offset of each open transaction, the last stable offset, the aborted-transaction index, and
 * KIP-890's verification before a transaction's first write to a partition.
 */
import { NotImplemented } from "#lab";
import type {
  Coordinator,
  FetchResult,
  KafkaSide,
  PartitionState,
} from "#labs/03-transactional-messages/provided.ts";

/**
 * One partition's transaction state. The shared broker replays the partition's log through
 * `onAppended` at start, then calls `checkAppend` before every data batch and `onAppended` after
 * every append.
 *
 * Contract:
 * - checkAppend(batch): "fenced" if the batch's epoch is lower than the highest epoch this
 *   partition has seen from its producer (in a batch or a marker); for the first transactional
 *   batch of a producer with no transaction open on this partition, "invalidTxnState" unless
 *   `coordinator.verify` confirms it (a late batch must never open a transaction nobody will
 *   end); duplicates and gaps by sequence as the shared broker's idempotence does; else "append".
 *   Sequences count a producer's batches on this partition under one epoch: the first batch of a
 *   new epoch is number 0 (every transaction ends with a new epoch, so each starts from 0).
 * - lastStableOffset(): the first offset of the earliest transaction still open on this partition,
 *   or the high watermark if none is open. Exclusive: offsets below it are decided. (Count as the
 *   high watermark the offset after the last entry `onAppended` gave you: the store's end may
 *   already hold a batch whose append is still under way, and you do not know yet what it opens.)
 * - abortedIn(from, to): the aborted transactions with data in [from, to) (producer id, first
 *   offset), as Kafka's .txnindex answers a fetch.
 */
export function openPartitionState(
  kafka: KafkaSide,
  partition: number,
  coordinator: Pick<Coordinator, "verify">,
): PartitionState {
  // YOUR CODE HERE (L3.F)
  void kafka;
  void partition;
  void coordinator;
  throw new NotImplemented("L3.F");
}

/**
 * A read_committed fetch: data records of `partition` from `offset`, stopping before the last
 * stable offset, without markers, without records of aborted transactions; `nextOffset` is where
 * the next fetch starts. Never returns a record at or past the last stable offset.
 */
export async function readCommitted(
  kafka: KafkaSide,
  state: PartitionState,
  partition: number,
  offset: number,
  max: number,
): Promise<FetchResult> {
  // YOUR CODE HERE (L3.F)
  void kafka;
  void state;
  void partition;
  void offset;
  void max;
  throw new NotImplemented("L3.F");
}
