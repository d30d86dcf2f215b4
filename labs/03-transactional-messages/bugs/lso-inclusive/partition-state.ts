/**
 * Bug zoo, lab 03: THE LAST STABLE OFFSET READ AS INCLUSIVE.
 *
 * The reference partition state with one part replaced: its read_committed fetch reads up to and
 * including the last stable offset instead of stopping before it.
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

import { partitionStateWith } from "../../solution/partition-state-with.ts";
import { partitionStateParts } from "../../solution/parts.ts";

function readableEnd(lastStableOffset: number, highWatermark: number): number {
  // The bug: "up to the last stable offset" taken to include it (but never past the high watermark).
  return Math.min(lastStableOffset + 1, highWatermark);
}

export const { openPartitionState, readCommitted } = partitionStateWith({ ...partitionStateParts, readableEnd });
