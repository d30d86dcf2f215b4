/**
 * Bug zoo, lab 04: THE END STARTS AT ZERO.
 *
 * "Offsets start at 0, so initialise the end to 0 and drop the null case." A queue taken over at
 * offset 30 with nothing new to pull then commits 0: the group's offset goes back to the start of
 * the queue, and the next crash or rebalance redelivers everything.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  const inFlight = new Set<number>();
  let end = 0;
  return {
    received(offsets) {
      for (const offset of offsets) {
        inFlight.add(offset);
        end = Math.max(end, offset + 1);
      }
    },
    finished(offset) {
      inFlight.delete(offset);
    },
    committable() {
      return inFlight.size === 0 ? end : Math.min(...inFlight);
    },
  };
}
