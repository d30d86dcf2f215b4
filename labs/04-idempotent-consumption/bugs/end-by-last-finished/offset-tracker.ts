/**
 * Bug zoo, lab 04: ONE PAST THE LAST MESSAGE HANDLED.
 *
 * "While messages are in flight, the lowest of them; once all are done, one past the message I
 * handled last." The last to finish is not the highest: when a slow message finishes after the ones
 * behind it, the tracker commits one past the slow one, and the finished messages after it stay
 * uncommitted until something new arrives (at the end of the stream, for ever).
 */

import { trackerParts } from "../../solution/tracker-parts.ts";
import type { End } from "../../solution/tracker-with.ts";
import { openTrackerWith } from "../../solution/tracker-with.ts";

function endPastLastFinished(): End {
  let lastFinished: number | null = null;
  return {
    received() {},
    finished(offset) {
      lastFinished = offset;
    },
    value: () => (lastFinished === null ? null : lastFinished + 1),
  };
}

export const openTracker = openTrackerWith({ ...trackerParts, end: endPastLastFinished });
