/**
 * Lab 04, L4.E: offsets and backlog. This is your file.
 *
 * A concurrent consumer finishes messages out of order, but a queue has one committed offset:
 * "everything below it is done". Commit past a message still in flight and a crash loses it;
 * commit less than you could and a crash redelivers finished work. RocketMQ's ProcessQueue keeps
 * the in-flight messages in a TreeMap and commits its first key: one slow message holds back
 * everything after it, which is the consumer backlog every RocketMQ operator has seen.
 */
import { NotImplemented } from "#lab";
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

/**
 * Opens a tracker for one queue (the runtime opens one per queue it owns, and drops it when the
 * queue moves away).
 *
 * Contract of the tracker: `received(offsets)` adds messages pulled (ascending, consecutive);
 * `finished(offset)` removes one; `committable()` is the lowest offset received and not finished,
 * or, with none in flight, one past the highest received, or null before anything was received.
 * Never past an unfinished message; never below the lowest unfinished one.
 *
 * Hints: ProcessQueue.removeMessage in RocketMQ's client. What must you remember about offsets
 * that finished above one still in flight?
 */
export function openTracker(): OffsetTracker {
  // YOUR CODE HERE (L4.E)
  throw new NotImplemented("L4.E");
}
