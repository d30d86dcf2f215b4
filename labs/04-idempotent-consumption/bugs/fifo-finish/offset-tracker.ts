/**
 * Bug zoo, lab 04: IN FLIGHT AS A FIFO.
 *
 * "Messages are handed out in order, so they come back in order: a queue of offsets, the head is
 * the oldest, `shift()` on each finish." Under concurrency a later message finishes first, the
 * shift drops the head that is still running, and the next commit passes it.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  const inFlight: number[] = [];
  let end: number | null = null;
  return {
    received(offsets) {
      inFlight.push(...offsets);
      const last = offsets.at(-1);
      if (last !== undefined) end = last + 1;
    },
    finished() {
      inFlight.shift();
    },
    committable() {
      return inFlight[0] ?? end;
    },
  };
}
