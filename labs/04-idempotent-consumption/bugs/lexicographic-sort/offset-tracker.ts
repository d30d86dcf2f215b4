/**
 * Bug zoo, lab 04: SORTED AS STRINGS.
 *
 * "Keep the in-flight offsets in an array, sort it, take the first." JavaScript's `sort()` with no
 * comparator compares strings: with 9 and 10 in flight, "10" comes first, and offset 10 is
 * committed while 9 still runs.
 */

import { trackerParts } from "../../solution/tracker-parts.ts";
import type { InFlight } from "../../solution/tracker-with.ts";
import { openTrackerWith } from "../../solution/tracker-with.ts";

function inFlightSorted(): InFlight {
  const offsets: number[] = [];
  return {
    add(offset) {
      offsets.push(offset);
    },
    remove(offset) {
      offsets.splice(offsets.indexOf(offset), 1);
    },
    lowest: () => offsets.sort()[0] ?? null,
  };
}

export const openTracker = openTrackerWith({ ...trackerParts, inFlight: inFlightSorted });
