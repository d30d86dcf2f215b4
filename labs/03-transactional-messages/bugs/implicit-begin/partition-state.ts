/**
 * Bug zoo, lab 03: A BATCH BEGINS ITS OWN TRANSACTION (the issue's "hanging transaction", KIP-890,
 * KAFKA-14402).
 *
 * The reference partition state with two changes: a transactional batch from a producer with no
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
import type {
  AbortedTxn,
  AppendDecision,
  Coordinator,
  KafkaSide,
  LogEntry,
  PartitionState,
  TxnBatch,
} from "#labs/03-transactional-messages/provided.ts";
import { OpenTransactions } from "../../solution/lso.ts";

export { readCommitted } from "../../solution/read-committed.ts";

/** How many recent batches per producer a retry can be matched against [NUM_BATCHES_TO_RETAIN]. */
const BATCHES_KEPT = 5;

interface ProducerEntry {
  /** The highest epoch seen from this producer here, in a batch or a marker. */
  epoch: number;
  /** The epoch of its latest batch here, which its sequences count under (-1: none yet). */
  batchEpoch: number;
  lastSequence: number;
  /** Its latest batches under `batchEpoch`: sequence and offset. */
  recent: { sequence: number; offset: number }[];
  /** The epoch its open transaction here runs under (meaningful while one is open). */
  openEpoch: number;
}

export function openPartitionState(
  kafka: KafkaSide,
  partition: number,
  coordinator: Pick<Coordinator, "verify">,
): PartitionState {
  void kafka;
  const producers = new Map<number, ProducerEntry>();
  const open = new OpenTransactions();
  const aborted: AbortedTxn[] = [];
  /** The offset after the last entry seen: what is below it is durable and known here. */
  let end = 0;

  const entryOf = (producerId: number): ProducerEntry => {
    let entry = producers.get(producerId);
    if (entry === undefined) {
      entry = { epoch: -1, batchEpoch: -1, lastSequence: -1, recent: [], openEpoch: -1 };
      producers.set(producerId, entry);
    }
    return entry;
  };

  return {
    async checkAppend(batch: TxnBatch): Promise<AppendDecision> {
      const entry = producers.get(batch.producerId);
      if (entry !== undefined && batch.epoch < entry.batchEpoch) return { kind: "fenced" };
      if (entry !== undefined && batch.epoch === entry.batchEpoch) {
        const earlier = entry.recent.find((b) => b.sequence === batch.sequence);
        if (earlier !== undefined) return { kind: "duplicate", baseOffset: earlier.offset };
        if (batch.sequence !== entry.lastSequence + 1) return { kind: "outOfOrder", expected: entry.lastSequence + 1 };
      } else if (batch.sequence !== 0) {
        return { kind: "outOfOrder", expected: 0 };
      }
      // The bug: no open transaction here? This batch begins one, no questions asked.
      void coordinator;
      void partition;
      return { kind: "append" };
    },

    onAppended(logged: LogEntry): void {
      end = Math.max(end, logged.offset + 1);
      const entry = entryOf(logged.producerId);
      entry.epoch = Math.max(entry.epoch, logged.epoch);
      if (logged.kind === "data") {
        if (logged.epoch !== entry.batchEpoch) {
          entry.batchEpoch = logged.epoch;
          entry.recent = [];
        }
        entry.lastSequence = logged.sequence;
        entry.recent.push({ sequence: logged.sequence, offset: logged.offset });
        if (entry.recent.length > BATCHES_KEPT) entry.recent.shift();
        if (open.firstOffsetOf(logged.producerId) === undefined) {
          open.begin(logged.producerId, logged.offset);
          entry.openEpoch = logged.epoch;
        }
        return;
      }
      const firstOffset = open.end(logged.producerId);
      if (firstOffset !== undefined && !logged.commit) {
        aborted.push({ producerId: logged.producerId, firstOffset, lastOffset: logged.offset });
      }
    },

    lastStableOffset: () => open.lastStableOffset(end),

    abortedIn(fromOffset: number, toOffset: number): AbortedTxn[] {
      return aborted.filter((a) => a.firstOffset < toOffset && a.lastOffset >= fromOffset);
    },
  };
}
