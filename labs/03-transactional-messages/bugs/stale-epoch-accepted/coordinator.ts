/**
 * Bug zoo, lab 03: THE COORDINATOR TAKES ANY EPOCH OF THE PRODUCER ID.
 *
 * The reference coordinator, except that addPartitions and endTxn look only at the producer id:
 * "the producer id names the producer, and the epoch is for the partitions to check". The
 * partitions do check it (every batch is verified, at exactly its epoch), so no zombie record ever
 * reaches a log.
 *
 * But the coordinator is the other place a zombie reaches. tx-a's first incarnation, paused past
 * its timeout, wakes up after a new incarnation has been given a newer epoch, and adds a partition
 * with its old one: this coordinator says ok, adding the partition to the new incarnation's
 * transaction (or opening one for the zombie). Its produce is refused at the partition, so it
 * aborts, and its abort, with the old epoch, is accepted too: it aborts the transaction the new
 * incarnation is running, and answers the zombie with a fresh epoch it may go on with. The
 * contract: after a timeout abort or a newer initProducerId, the old epoch is fenced everywhere,
 * at the coordinator as at the partitions (Kafka's TransactionCoordinator answers
 * PRODUCER_FENCED for an older epoch in handleAddPartitionsToTransaction and handleEndTransaction).
 */
import type { Coordinator, KafkaSide, TxnRecord } from "#labs/03-transactional-messages/provided.ts";
import { openCoordinatorWith } from "../../solution/coordinator-with.ts";
import { coordinatorParts } from "../../solution/parts.ts";

function mayAct(_record: TxnRecord, _epoch: number): boolean {
  // The bug: the producer id is enough; the epoch is not compared.
  return true;
}

export function openCoordinator(kafka: KafkaSide): Promise<Coordinator> {
  return openCoordinatorWith(kafka, { ...coordinatorParts, mayAct });
}
