/**
 * L3.F (2 of 2): one partition's transaction state, the reference [ProducerStateManager,
 * ProducerAppendInfo, TransactionIndex], and the read_committed fetch (read-committed.ts).
 *
 * Per producer id: the highest epoch seen here, in a batch or in a marker (a marker carries the
 * epoch its transaction was ended with, so after an end the old epoch is fenced here even if the
 * producer never writes here again), and the sequences of its recent batches under its current
 * epoch (a retry finds its batch and gets the original offset; a gap is refused). The open
 * transactions and the last stable offset are in lso.ts; the aborted transactions, each with its
 * first data offset and its abort marker's offset, are kept in log order.
 *
 * KIP-890: a batch that would open a transaction here is appended only if the coordinator
 * confirms that this producer's transaction is Ongoing, at exactly this epoch, and includes this
 * partition. Without that, a produce request delayed past its transaction's end (the client gave
 * up on it and aborted) would open a transaction no coordinator knows of: no marker would ever
 * close it, and the last stable offset would stay below it for good.
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
import { OpenTransactions } from "./lso.ts";

export { readCommitted } from "./read-committed.ts";

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
      if (entry !== undefined && batch.epoch === entry.batchEpoch) {
        const earlier = entry.recent.find((b) => b.sequence === batch.sequence);
        if (earlier !== undefined) return { kind: "duplicate", baseOffset: earlier.offset };
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
