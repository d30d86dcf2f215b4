/**
 * Bug zoo, lab 04: NOTHING IN FLIGHT, NOTHING TO COMMIT.
 *
 * "With no message in flight there is nothing to commit, so return null." But null means "nothing
 * was ever received", and the runtime then commits the offset it took the queue at: every time the
 * consumer catches up, the group's offset falls back to where it started.
 */
import { trackerParts } from "../../solution/tracker-parts.ts";
import { openTrackerWith } from "../../solution/tracker-with.ts";

export const openTracker = openTrackerWith({ ...trackerParts, choose: (lowest) => lowest });
