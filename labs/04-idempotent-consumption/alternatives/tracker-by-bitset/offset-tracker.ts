/**
 * L4.E, a correct alternative: a low-water mark and a bitset of finished offsets, as Kafka clients
 * that track out-of-order completion do (Confluent's Parallel Consumer encodes the same thing as a
 * base offset and a run-length or bitset of what finished above it, in the commit's metadata).
 *
 * Differs from the reference (a set of the offsets in flight, scanned for its minimum): this keeps
 * what FINISHED, not what is in flight. `low` is the lowest offset received and not known to have
 * finished; a bit per offset from `origin` says which ones above it finished. A finish sets its bit
 * and walks `low` up over every set bit; whole words below `low` are dropped, so the bitset spans
 * only the offsets between the lowest unfinished one and the highest received.
 *
 * Why it is correct: received offsets are consecutive from the first one (the contract), so every
 * offset in [low, end) was received; `low` stops at the first one whose bit is clear, which is the
 * lowest received and not finished, or reaches `end` when none is in flight.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

const WORD_BITS = 32;

export function openTracker(): OffsetTracker {
  // The offset bit 0 of words[0] stands for; null until something is received.
  let origin: number | null = null;
  const words: number[] = [];
  let low = 0;
  // One past the highest offset received.
  let end: number | null = null;

  const isFinished = (offset: number, from: number): boolean => {
    const index = offset - from;
    return (((words[Math.floor(index / WORD_BITS)] ?? 0) >>> (index % WORD_BITS)) & 1) === 1;
  };

  return {
    received(offsets) {
      for (const offset of offsets) {
        if (origin === null) {
          origin = offset;
          low = offset;
        }
        end = Math.max(end ?? offset + 1, offset + 1);
      }
    },
    finished(offset) {
      if (origin === null || offset < low) return;
      const index = offset - origin;
      const word = Math.floor(index / WORD_BITS);
      while (words.length <= word) words.push(0);
      words[word] = (words[word] ?? 0) | (1 << (index % WORD_BITS));
      while (end !== null && low < end && isFinished(low, origin)) low += 1;
      // Drop the words wholly below `low`: everything there has finished.
      while (low - origin >= WORD_BITS) {
        words.shift();
        origin += WORD_BITS;
      }
    },
    committable() {
      return end === null ? null : low;
    },
  };
}
