/**
 * Bug zoo, lab 04: ONE PAST THE LOWEST IN FLIGHT.
 *
 * "Kafka commits the position after the last record, so add one." The tracker finds the right
 * message, the lowest one still in flight, and then commits the offset after it: the broker is
 * told that message is done while its handler still runs.
 */
import { trackerParts } from "../../solution/tracker-parts.ts";
import { openTrackerWith } from "../../solution/tracker-with.ts";

export const openTracker = openTrackerWith({
  ...trackerParts,
  choose: (lowest, end) => (lowest === null ? end : lowest + 1),
});
