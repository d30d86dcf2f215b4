/**
 * L4.E Offsets and backlog: the offset to commit when messages finish out of order.
 *
 * A queue has one committed offset, and it means "everything below is done". With handlers running
 * concurrently, offset 12 can finish before offset 10; committing 13 then would tell the broker
 * that 10 is done, and a crash would lose it. So the offset to commit is the lowest one still in
 * flight, as RocketMQ's ProcessQueue keeps its messages in a TreeMap and commits its first key
 * (ProcessQueue.removeMessage). What finished above it is remembered only by not being in the set:
 * once 10 finishes, the lowest in flight jumps past 11 and 12 at once.
 *
 * The price is the backlog lesson: one slow message holds the committed offset back, and a crash
 * then redelivers everything after it, finished or not (the handler's claim makes that harmless).
 *
 * Assembled in tracker-with.ts from tracker-parts.ts: the offsets in flight as a set, the end as one
 * past the highest received, and the lowest in flight if there is one, else the end.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";
import { trackerParts } from "./tracker-parts.ts";
import { openTrackerWith } from "./tracker-with.ts";

const openReference = openTrackerWith(trackerParts);

export function openTracker(): OffsetTracker {
  return openReference();
}
