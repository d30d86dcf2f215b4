/**
 * Bug zoo, lab 04: ONE PAST THE LOWEST IN FLIGHT.
 *
 * "Kafka commits the position after the last record, so add one." The tracker finds the right
 * message, the lowest one still in flight, and then commits the offset after it: the broker is
 * told that message is done while its handler still runs.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  const inFlight = new Set<number>();
  let end: number | null = null;
  return {
    received(offsets) {
      for (const offset of offsets) {
        inFlight.add(offset);
        end = Math.max(end ?? 0, offset + 1);
      }
    },
    finished(offset) {
      inFlight.delete(offset);
    },
    committable() {
      if (inFlight.size === 0) return end;
      return Math.min(...inFlight) + 1;
    },
  };
}
