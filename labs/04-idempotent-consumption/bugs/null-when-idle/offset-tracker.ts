/**
 * Bug zoo, lab 04: NOTHING IN FLIGHT, NOTHING TO COMMIT.
 *
 * "With no message in flight there is nothing to commit, so return null." But null means "nothing
 * was ever received", and the runtime then commits the offset it took the queue at: every time the
 * consumer catches up, the group's offset falls back to where it started.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  const inFlight = new Set<number>();
  return {
    received(offsets) {
      for (const offset of offsets) inFlight.add(offset);
    },
    finished(offset) {
      inFlight.delete(offset);
    },
    committable() {
      return inFlight.size === 0 ? null : Math.min(...inFlight);
    },
  };
}
