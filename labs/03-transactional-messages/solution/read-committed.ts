/**
 * L3.F: a read_committed fetch [UnifiedLog.read with FetchIsolation.TXN_COMMITTED, and the
 * client's CompletedFetch, which drops aborted batches using the fetch's aborted transactions].
 *
 * Reads only below the last stable offset (taken once, before reading: everything below it is
 * decided and stays decided), drops markers and every batch of an aborted transaction, and moves
 * `nextOffset` past what it skipped, so that the consumer never asks for the same markers again.
 */
import type { FetchResult, KafkaSide, PartitionState } from "#labs/03-transactional-messages/provided.ts";

export async function readCommitted(
  kafka: KafkaSide,
  state: PartitionState,
  partition: number,
  offset: number,
  max: number,
): Promise<FetchResult> {
  const lastStableOffset = state.lastStableOffset();
  const highWatermark = kafka.highWatermark(partition);
  const count = Math.min(max, lastStableOffset - offset);
  if (count <= 0) return { kind: "ok", records: [], nextOffset: offset, lastStableOffset, highWatermark };
  const aborted = state.abortedIn(offset, lastStableOffset);
  const entries = await kafka.read(partition, offset, count);
  const records = entries.filter(
    (entry) =>
      entry.kind === "data" &&
      entry.offset < lastStableOffset &&
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
}
