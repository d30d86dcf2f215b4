/**
 * Bug zoo, lab 03: A BATCH BEGINS ITS OWN TRANSACTION (the issue's "hanging transaction", KIP-890,
 * KAFKA-14402).
 *
 * The reference partition state with two parts replaced: a transactional batch from a producer with no
 * transaction open here simply begins one, without asking the coordinator; and a batch is fenced
 * only if its epoch is below the last batch seen from its producer (markers' epochs are ignored).
 *
 * Why it is tempting: "the coordinator added this partition before the producer sent anything to
 * it, so a transactional batch here must be legitimate". That is Kafka before KIP-890:
 * ProducerAppendInfo began a transaction on the first transactional batch it saw.
 *
 * What goes wrong: a produce request the network held while its client gave up and aborted the
 * transaction arrives after the ABORT marker, with the epoch of the producer's last batch here. It
 * is appended and opens a transaction no coordinator knows of: no marker will ever close it, so
 * the partition's last stable offset stays at that batch for good and every later record on the
 * partition is stuck behind it.
 *
 * What Kafka does: since KIP-890 (3.6 / 3.7), the partition leader verifies with the coordinator
 * (AddPartitionsToTxn with verifyOnly) that the transaction is ongoing and includes the partition
 * before the first batch of a transaction is appended; transaction version 2 also bumps the epoch
 * at every end, so that the late batch is fenced outright.
 */
import type { TxnBatch } from "#labs/03-transactional-messages/provided.ts";
import { type ProducerEntry, partitionStateWith } from "../../solution/partition-state-with.ts";
import { partitionStateParts } from "../../solution/parts.ts";

function isFenced(seen: ProducerEntry, batch: TxnBatch): boolean {
  // The bug (1 of 2): only the epochs of batches count; the epoch a marker carries is not remembered.
  return batch.epoch < seen.batchEpoch;
}

async function mayOpen(): Promise<boolean> {
  // The bug (2 of 2): no open transaction here? This batch begins one, no questions asked.
  return true;
}

export const { openPartitionState, readCommitted } = partitionStateWith({ ...partitionStateParts, isFenced, mayOpen });
