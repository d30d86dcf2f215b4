/**
 * Bug zoo, lab 03: THE LAST STABLE OFFSET READ AS INCLUSIVE.
 *
 * The reference partition state, with its read_committed fetch reading up to and including the
 * last stable offset instead of stopping before it.
 *
 * Why it is tempting: "the last stable offset" sounds like the last offset that is stable, the way
 * "the last record" is one you may read; and an off-by-one at a boundary looks harmless, since
 * when nothing is open the offset past the end holds nothing anyway.
 *
 * What goes wrong: when a transaction is open, the last stable offset is its first batch. Reading
 * it hands a consumer a record whose transaction is still undecided: it may be committed later
 * (the consumer saw it too early) or aborted (the consumer saw data that never existed). Jepsen
 * found this very bug in Redpanda's read_committed fetch (redpanda PR #3036).
 */
import type { FetchResult, KafkaSide, PartitionState } from "#labs/03-transactional-messages/provided.ts";

export { openPartitionState } from "../../solution/partition-state.ts";

export async function readCommitted(
  kafka: KafkaSide,
  state: PartitionState,
  partition: number,
  offset: number,
  max: number,
): Promise<FetchResult> {
  const lastStableOffset = state.lastStableOffset();
  const highWatermark = kafka.highWatermark(partition);
  // The bug: "up to the last stable offset" taken to include it.
  const count = Math.min(max, lastStableOffset + 1 - offset, highWatermark - offset);
  if (count <= 0) return { kind: "ok", records: [], nextOffset: offset, lastStableOffset, highWatermark };
  const aborted = state.abortedIn(offset, lastStableOffset + 1);
  const entries = await kafka.read(partition, offset, count);
  const records = entries.filter(
    (entry) =>
      entry.kind === "data" &&
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
