/**
 * Lab 03, correct alternative `lso-by-scan` (docs/design/lab-03.md, section 8, alternative 3): a
 * partition's transaction state written from the stub's contract, differently from the reference.
 *
 * How it differs: no ordered set of open transactions. Each producer's row holds the first offset
 * of its open transaction here (or null), and `lastStableOffset` walks every row for the lowest:
 * slower with many producers, plainly correct, since a transaction is open exactly from its first
 * batch to its producer's next marker. Aborted transactions are one list searched in full.
 * Retries are matched against the producer's last batch only (Kafka keeps five; the client here
 * sends one batch at a time per partition, so a retry can only be of the last one).
 * read_committed filters each batch by asking whether an aborted transaction of its producer spans
 * it, and never reads past min(last stable offset, offset + max).
 */
import type {
  AbortedTxn,
  AppendDecision,
  Coordinator,
  FetchResult,
  KafkaSide,
  LogEntry,
  PartitionState,
  TxnBatch,
} from "#labs/03-transactional-messages/provided.ts";

interface Row {
  /** Highest epoch seen here, from batches and markers alike. */
  fence: number;
  /** The epoch, sequence and offset of its last batch here (null: none yet). */
  last: { epoch: number; sequence: number; offset: number } | null;
  /** First offset of its open transaction here, with that transaction's epoch. */
  open: { firstOffset: number; epoch: number } | null;
}

export function openPartitionState(
  kafka: KafkaSide,
  partition: number,
  coordinator: Pick<Coordinator, "verify">,
): PartitionState {
  void kafka;
  const rows = new Map<number, Row>();
  const aborted: AbortedTxn[] = [];
  let seenEnd = 0;

  const row = (producerId: number): Row => {
    const found = rows.get(producerId);
    if (found !== undefined) return found;
    const fresh: Row = { fence: -1, last: null, open: null };
    rows.set(producerId, fresh);
    return fresh;
  };

  return {
    async checkAppend(batch: TxnBatch): Promise<AppendDecision> {
      const r = rows.get(batch.producerId) ?? { fence: -1, last: null, open: null };
      if (batch.epoch < r.fence) return { kind: "fenced" };
      const sameEpoch = r.last !== null && r.last.epoch === batch.epoch;
      const expected = sameEpoch && r.last !== null ? r.last.sequence + 1 : 0;
      if (sameEpoch && r.last !== null && batch.sequence === r.last.sequence) {
        return { kind: "duplicate", baseOffset: r.last.offset };
      }
      if (batch.sequence !== expected) return { kind: "outOfOrder", expected };
      if (r.open !== null && r.open.epoch === batch.epoch) return { kind: "append" };
      const ongoing = await coordinator.verify(batch.producerId, batch.epoch, partition);
      return ongoing ? { kind: "append" } : { kind: "invalidTxnState" };
    },

    onAppended(entry: LogEntry): void {
      seenEnd = Math.max(seenEnd, entry.offset + 1);
      const r = row(entry.producerId);
      r.fence = Math.max(r.fence, entry.epoch);
      if (entry.kind === "data") {
        r.last = { epoch: entry.epoch, sequence: entry.sequence, offset: entry.offset };
        if (r.open === null) r.open = { firstOffset: entry.offset, epoch: entry.epoch };
        return;
      }
      if (r.open !== null && !entry.commit) {
        aborted.push({ producerId: entry.producerId, firstOffset: r.open.firstOffset, lastOffset: entry.offset });
      }
      r.open = null;
    },

    lastStableOffset(): number {
      let lowest = seenEnd;
      for (const r of rows.values()) if (r.open !== null && r.open.firstOffset < lowest) lowest = r.open.firstOffset;
      return lowest;
    },

    abortedIn(fromOffset: number, toOffset: number): AbortedTxn[] {
      return aborted.filter((a) => a.firstOffset < toOffset && a.lastOffset >= fromOffset);
    },
  };
}

export async function readCommitted(
  kafka: KafkaSide,
  state: PartitionState,
  partition: number,
  offset: number,
  max: number,
): Promise<FetchResult> {
  const lastStableOffset = state.lastStableOffset();
  const highWatermark = kafka.highWatermark(partition);
  const upTo = Math.min(lastStableOffset, offset + max);
  const entries = upTo > offset ? await kafka.read(partition, offset, upTo - offset) : [];
  const aborted = state.abortedIn(offset, upTo);
  const records: LogEntry[] = [];
  let nextOffset = offset;
  for (const entry of entries) {
    if (entry.offset >= upTo) break;
    nextOffset = entry.offset + 1;
    if (entry.kind !== "data") continue;
    const inAborted = aborted.some(
      (a) => a.producerId === entry.producerId && a.firstOffset <= entry.offset && entry.offset < a.lastOffset,
    );
    if (!inAborted) records.push(entry);
  }
  return { kind: "ok", records, nextOffset, lastStableOffset, highWatermark };
}
