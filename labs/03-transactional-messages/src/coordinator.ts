/**
 * Lab 03, L3.F (1 of 2): Kafka's transaction coordinator. This is your file.
 *
 * Kafka's TransactionCoordinator and TransactionMetadata: producer ids and epochs, the states of a
 * transaction, markers, and the timeout that aborts a transaction left open, fencing its producer.
 */
import { NotImplemented } from "#lab";
import type { Coordinator, KafkaSide } from "#labs/03-transactional-messages/provided.ts";

/**
 * Opens the coordinator: loads `txnLog`, finishes every transaction left in PrepareCommit or
 * PrepareAbort (writes its markers), and aborts timed-out ones every TIMING.kafkaAbortScanMs.
 *
 * Contract of the coordinator:
 * - initProducerId(id): the id's producer id (the same one forever) and an epoch higher than
 *   every epoch returned for it before, across restarts (saved before the reply). If a
 *   transaction of the id is Ongoing, it is aborted first (markers written). While a previous
 *   transaction's markers are still being written: `concurrentTransactions` (the client retries).
 * - addPartitions(id, producerId, epoch, partitions): with the current epoch, adds them to the
 *   transaction, which becomes Ongoing (its timeout starts with the first); an older epoch:
 *   `fenced`.
 * - endTxn(id, producerId, epoch, commit): with the current epoch and an Ongoing transaction,
 *   saves PrepareCommit (or PrepareAbort) and a bumped epoch, replies `{ ok, epoch }` with that
 *   epoch (every transaction ends with a new epoch, as Kafka's transaction version 2 does), then
 *   writes one marker carrying the new epoch to each of the transaction's partitions, then saves
 *   CompleteCommit (CompleteAbort). A retry of an end already decided (its reply was lost), with
 *   the epoch the transaction ran under and the same decision: the same ok reply, with the same
 *   new epoch; with the opposite decision: `invalidTxnState`; any older epoch: `fenced`; the
 *   current epoch with no transaction open: `invalidTxnState`. After a timeout abort or a newer
 *   incarnation's initProducerId, the old epoch is fenced everywhere: at the coordinator
 *   (addPartitions: `fenced`; endTxn: refused, except that an abort after a timeout abort, which a
 *   coordinator cannot tell from a retry of an abort, may get ok: the transaction is aborted, as
 *   asked) and at every partition of the transaction (the abort markers carry the new epoch).
 * - A transaction Ongoing longer than TIMING.kafkaTransactionTimeoutMs (coordinator clock) is
 *   aborted with a bumped epoch, so that its producer, paused or a zombie, is fenced from then on.
 * - verify(producerId, epoch, partition): true only if that producer's transaction is Ongoing at
 *   exactly that epoch and includes the partition (KIP-890's AddPartitionsToTxn verifyOnly).
 */
export async function openCoordinator(kafka: KafkaSide): Promise<Coordinator> {
  // YOUR CODE HERE (L3.F)
  void kafka;
  throw new NotImplemented("L3.F");
}
