/**
 * Bug zoo, lab 04: ONE PAST THE LAST MESSAGE HANDLED.
 *
 * "While messages are in flight, the lowest of them; once all are done, one past the message I
 * handled last." The last to finish is not the highest: when a slow message finishes after the ones
 * behind it, the tracker commits one past the slow one, and the finished messages after it stay
 * uncommitted until something new arrives (at the end of the stream, for ever).
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  const inFlight = new Set<number>();
  let lastFinished: number | null = null;
  return {
    received(offsets) {
      for (const offset of offsets) inFlight.add(offset);
    },
    finished(offset) {
      inFlight.delete(offset);
      lastFinished = offset;
    },
    committable() {
      if (inFlight.size > 0) return Math.min(...inFlight);
      return lastFinished === null ? null : lastFinished + 1;
    },
  };
}
