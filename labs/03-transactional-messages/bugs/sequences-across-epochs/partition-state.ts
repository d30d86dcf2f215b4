/**
 * Bug zoo, lab 03: SEQUENCES RUN ON ACROSS EPOCHS.
 *
 * The reference partition state, except that a producer's sequence numbers here count on from its
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
      if (entry !== undefined && batch.epoch < entry.epoch) return { kind: "fenced" };
      // The bug: sequences run on across epochs, as the producer's count of batches here.
      if (entry !== undefined && entry.batchEpoch >= 0) {
        const earlier = entry.recent.find((b) => b.sequence === batch.sequence);
        if (earlier !== undefined && batch.epoch === entry.batchEpoch)
          return { kind: "duplicate", baseOffset: earlier.offset };
        if (batch.sequence !== entry.lastSequence + 1) return { kind: "outOfOrder", expected: entry.lastSequence + 1 };
      } else if (batch.sequence !== 0) {
        return { kind: "outOfOrder", expected: 0 };
      }
      const joins = open.firstOffsetOf(batch.producerId) !== undefined && entry?.openEpoch === batch.epoch;
      if (!joins && !(await coordinator.verify(batch.producerId, batch.epoch, partition))) {
        return { kind: "invalidTxnState" };
      }
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
