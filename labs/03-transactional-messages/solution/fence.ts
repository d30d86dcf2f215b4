/**
 * L3.F, coordinator parts: which epoch each way of ending a transaction leaves behind, which epoch
 * may act, and when a transaction's timeout starts.
 *
 * An epoch is a fencing token for one transactional id. Every time the coordinator ends a
 * transaction it moves the epoch on, and the markers it writes carry the new one, so that every
 * partition of the transaction learns it too: from then on a batch with the old epoch is refused
 * wherever it lands. That covers the three ways a transaction ends:
 *   - the producer's own EndTxn (Kafka's transaction version 2 bumps the epoch per transaction,
 *     which is what stops a late batch from joining the next transaction, KIP-890);
 *   - a timeout abort: the producer may be paused (a GC pause, a frozen VM) and wake up still
 *     believing its transaction is open. Kafka aborts it with a bumped epoch
 *     (TransactionCoordinator.abortTimedOutTransactions, prepareFenceProducerEpoch), so the
 *     zombie's next request is fenced instead of opening a fresh transaction that would commit
 *     half of its work;
 *   - a new incarnation's InitProducerId, which aborts whatever the old one left open and then
 *     hands out an epoch above every earlier one.
 */
import type { TxnRecord } from "#labs/03-transactional-messages/provided.ts";

/** The epoch a producer's own commit or abort leaves: its next transaction runs under it. */
export function epochAfterEnd(epoch: number): number {
  return epoch + 1;
}

/** The epoch a timed-out transaction is aborted with: the paused producer's epoch is dead from now on. */
export function epochAfterTimeout(epoch: number): number {
  return epoch + 1;
}

/** The epoch InitProducerId hands a new incarnation (after aborting an open transaction, if any). */
export function epochAfterInit(epoch: number): number {
  return epoch + 1;
}

/**
 * Only the current epoch may add partitions to the id's transaction or end it: an older one is a
 * zombie's (a paused incarnation, or one whose transaction timed out), fenced at the coordinator
 * as at the partitions [TransactionCoordinator.handleAddPartitionsToTransaction and
 * handleEndTransaction answer PRODUCER_FENCED].
 */
export function mayAct(record: TxnRecord, epoch: number): boolean {
  return epoch === record.epoch;
}

/**
 * A transaction's timeout counts from its own first partition, not from the session's first
 * transaction: a producer that commits every second must never be aborted for being old.
 */
export function startOf(_record: TxnRecord, nowMs: number): number {
  return nowMs;
}
