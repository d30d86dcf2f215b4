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
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  const inFlight = new Set<number>();
  // One past the highest offset received: what to commit when nothing is in flight.
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
      let lowest = Number.POSITIVE_INFINITY;
      for (const offset of inFlight) lowest = Math.min(lowest, offset);
      return lowest;
    },
  };
}
