/**
 * L3.F (2 of 2), assembled: one partition's transaction state [ProducerStateManager,
 * ProducerAppendInfo, TransactionIndex] and the read_committed fetch, from the parts named in
 * `PartitionStateParts` (partition-state.ts lists the reference's).
 *
 * Per producer id: the highest epoch seen here, in a batch or in a marker (a marker carries the
 * epoch its transaction was ended with, so after an end the old epoch is fenced here even if the
 * producer never writes here again), and the sequences of its recent batches under its current
 * epoch (a retry finds its batch and gets the original offset; a gap is refused). The open
 * transactions and the last stable offset are in lso.ts; the aborted transactions, each with its
 * first data offset and its abort marker's offset, are kept in log order.
 *
 * A read_committed fetch [UnifiedLog.read with FetchIsolation.TXN_COMMITTED, and the client's
 * CompletedFetch, which drops aborted batches using the fetch's aborted transactions] reads only
 * below the end `readableEnd` gives (taken once, before reading: everything below the last stable
 * offset is decided and stays decided), drops markers and every batch of an aborted transaction,
 * and moves `nextOffset` past what it skipped, so that the consumer never asks for the same
 * markers again.
 */
import type {
  AbortedTxn,
  AppendDecision,
  Coordinator,
  KafkaParts,
  KafkaSide,
  LogEntry,
  PartitionState,
  ReadCommitted,
  TxnBatch,
} from "#labs/03-transactional-messages/provided.ts";
import { OpenTransactions } from "./lso.ts";

/** How many recent batches per producer a retry can be matched against [NUM_BATCHES_TO_RETAIN]. */
const BATCHES_KEPT = 5;

/** What this partition knows of one producer. */
export interface ProducerEntry {
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

export interface PartitionStateParts {
  /** Whether a batch from a producer seen here before is fenced by what was seen. */
  isFenced(seen: ProducerEntry, batch: TxnBatch): boolean;
  /** A retry's or a gap's answer by the batch's sequence number, or null if it is the next one. */
  checkSequence(seen: ProducerEntry | undefined, batch: TxnBatch): AppendDecision | null;
  /** Whether a batch that would open a transaction here may (the coordinator's word, KIP-890). */
  mayOpen(coordinator: Pick<Coordinator, "verify">, batch: TxnBatch, partition: number): Promise<boolean>;
  /** Where a read_committed fetch stops (exclusive), given the last stable offset and the high watermark. */
  readableEnd(lastStableOffset: number, highWatermark: number): number;
}

/** partition-state.ts's exports, as the grader asks for them. */
export type PartitionStateFile = Omit<KafkaParts, "openCoordinator">;

export function partitionStateWith(parts: PartitionStateParts): PartitionStateFile {
  return {
    openPartitionState: (kafka, partition, coordinator) => openWith(parts, kafka, partition, coordinator),
    readCommitted: readCommittedWith(parts),
  };
}

function openWith(
  parts: PartitionStateParts,
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
      if (entry !== undefined && parts.isFenced(entry, batch)) return { kind: "fenced" };
      const bySequence = parts.checkSequence(entry, batch);
      if (bySequence !== null) return bySequence;
      const joins = open.firstOffsetOf(batch.producerId) !== undefined && entry?.openEpoch === batch.epoch;
      if (!joins && !(await parts.mayOpen(coordinator, batch, partition))) return { kind: "invalidTxnState" };
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

function readCommittedWith(parts: PartitionStateParts): ReadCommitted {
  return async (kafka, state, partition, offset, max) => {
    const lastStableOffset = state.lastStableOffset();
    const highWatermark = kafka.highWatermark(partition);
    const readable = parts.readableEnd(lastStableOffset, highWatermark);
    const count = Math.min(max, readable - offset);
    if (count <= 0) return { kind: "ok", records: [], nextOffset: offset, lastStableOffset, highWatermark };
    const aborted = state.abortedIn(offset, readable);
    const entries = await kafka.read(partition, offset, count);
    const records = entries.filter(
      (entry) =>
        entry.kind === "data" &&
        entry.offset < readable &&
        !aborted.some(
          (a) => a.producerId === entry.producerId && a.firstOffset <= entry.offset && entry.offset < a.lastOffset,
        ),
    );
    const last = entries.at(-1);
    return {
      kind: "ok",
      records,
      nextOffset: last === undefined ? offset : last.offset + 1,
      lastStableOffset,
      highWatermark,
    };
  };
}
