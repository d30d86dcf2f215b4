/** L4.E's parts as the reference has them (tracker-with.ts assembles them). */
import type { End, InFlight, TrackerParts } from "./tracker-with.ts";

function inFlightSet(): InFlight {
  const offsets = new Set<number>();
  return {
    add(offset) {
      offsets.add(offset);
    },
    remove(offset) {
      offsets.delete(offset);
    },
    lowest() {
      if (offsets.size === 0) return null;
      let lowest = Number.POSITIVE_INFINITY;
      for (const offset of offsets) lowest = Math.min(lowest, offset);
      return lowest;
    },
  };
}

// One past the highest offset received: what to commit when nothing is in flight.
function endPastHighest(): End {
  let end: number | null = null;
  return {
    received(offset) {
      end = Math.max(end ?? 0, offset + 1);
    },
    finished() {},
    value: () => end,
  };
}

export const trackerParts: TrackerParts = {
  inFlight: inFlightSet,
  end: endPastHighest,
  choose: (lowest, end) => lowest ?? end,
};
