/**
 * Bug zoo, lab 03: THE TIMEOUT COUNTS FROM THE SESSION'S FIRST TRANSACTION.
 *
 * The reference coordinator, except that a transaction's start time is set only when a fresh
 * session (state Empty) adds its first partition. The next transactions of the session, beginning
 * from CompleteCommit or CompleteAbort, keep that first start time: "startedAtMs is when the
 * producer started". So once a session is older than the transaction timeout, each of its new
 * transactions counts as timed out as soon as it begins, and the next timeout scan aborts it
 * (fencing the producer with a new epoch) while the producer is still writing it.
 *
 * Nothing wrong is ever read: the aborted transactions' records are dropped, and their producers
 * are refused. But no long-lived producer can commit anything after its first 300 ms. The
 * contract: a transaction's timeout starts with its own first AddPartitionsToTxn (Kafka sets
 * txnStartTimestamp when a transaction moves to Ongoing).
 */
import type { Coordinator, KafkaSide, TxnRecord } from "#labs/03-transactional-messages/provided.ts";
import { openCoordinatorWith } from "../../solution/coordinator-with.ts";
import { coordinatorParts } from "../../solution/parts.ts";

function startOf(record: TxnRecord, nowMs: number): number {
  // The bug: the start time is the session's, kept across its transactions.
  return record.state === "Empty" ? nowMs : record.startedAtMs;
}

export function openCoordinator(kafka: KafkaSide): Promise<Coordinator> {
  return openCoordinatorWith(kafka, { ...coordinatorParts, startOf });
}
