/**
 * Bug zoo, lab 03: A TIMEOUT ABORT THAT FENCES NOBODY (the "timeout abort without fencing").
 *
 * The reference coordinator with one part replaced: a transaction left open past its timeout is
 * aborted (its ABORT markers written, CompleteAbort saved) under the epoch it ran with, unchanged.
 *
 * Why it is tempting: "the epoch belongs to the producer's session; it changes when a new producer
 * registers (InitProducerId), not because one transaction took too long". The abort itself is
 * done right: markers on every partition, the state saved.
 *
 * What goes wrong: the producer was not dead, only paused (a long GC pause). It wakes up still
 * believing its transaction is open, adds the partition of its next record with its epoch, which
 * is still the current one, and so opens a brand-new transaction, produces to it and commits. The
 * commit is acknowledged, yet the records it wrote before the pause were aborted with the old
 * transaction: half of what the producer committed is gone.
 *
 * What Kafka does: TransactionCoordinator.abortTimedOutTransactions aborts with a bumped epoch
 * (prepareFenceProducerEpoch), so the paused producer's next request is answered
 * PRODUCER_FENCED (or, with transaction version 2, an abortable error) and it never commits.
 */
import type { Coordinator, KafkaSide } from "#labs/03-transactional-messages/provided.ts";
import { openCoordinatorWith } from "../../solution/coordinator-with.ts";
import { coordinatorParts } from "../../solution/parts.ts";

export function openCoordinator(kafka: KafkaSide): Promise<Coordinator> {
  return openCoordinatorWith(kafka, { ...coordinatorParts, epochAfterTimeout: (epoch) => epoch });
}
