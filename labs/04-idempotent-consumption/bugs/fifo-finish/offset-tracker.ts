/**
 * Bug zoo, lab 04: IN FLIGHT AS A FIFO.
 *
 * "Messages are handed out in order, so they come back in order: a queue of offsets, the head is
 * the oldest, `shift()` on each finish." Under concurrency a later message finishes first, the
 * shift drops the head that is still running, and the next commit passes it.
 */

import { trackerParts } from "../../solution/tracker-parts.ts";
import type { InFlight } from "../../solution/tracker-with.ts";
import { openTrackerWith } from "../../solution/tracker-with.ts";

function inFlightQueue(): InFlight {
  const offsets: number[] = [];
  return {
    add(offset) {
      offsets.push(offset);
    },
    remove() {
      offsets.shift();
    },
    lowest: () => offsets[0] ?? null,
  };
}

export const openTracker = openTrackerWith({ ...trackerParts, inFlight: inFlightQueue });
