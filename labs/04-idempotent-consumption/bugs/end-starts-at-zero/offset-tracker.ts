/**
 * Bug zoo, lab 04: THE END STARTS AT ZERO.
 *
 * "Offsets start at 0, so initialise the end to 0 and drop the null case." A queue taken over at
 * offset 30 with nothing new to pull then commits 0: the group's offset goes back to the start of
 * the queue, and the next crash or rebalance redelivers everything.
 */

import { trackerParts } from "../../solution/tracker-parts.ts";
import type { End } from "../../solution/tracker-with.ts";
import { openTrackerWith } from "../../solution/tracker-with.ts";

function endFromZero(): End {
  let end = 0;
  return {
    received(offset) {
      end = Math.max(end, offset + 1);
    },
    finished() {},
    value: () => end,
  };
}

export const openTracker = openTrackerWith({ ...trackerParts, end: endFromZero });
