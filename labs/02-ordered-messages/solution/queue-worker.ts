/**
 * L2.C Orderly consumption of one queue (and, for L2.E, honouring the fencing token).
 *
 * A queue is an ordered stream, and the consumer must not break the order the producer kept:
 *   - one message in flight at a time: the next starts only after the previous one's effect is done;
 *   - a failed message is retried in place: the queue waits (is "suspended") and the same message
 *     is tried again. Skipping it would let every later message overtake it; moving it to a retry
 *     topic, as concurrent consumers do, would too;
 *   - the committed offset only ever passes messages whose effect is done. Commit before processing
 *     and a crash loses the message; commit after, and a crash replays it: a *rewind*, which
 *     repeats an already processed stretch in the same order. Ordered consumers are at-least-once.
 *
 * RocketMQ's ConsumeMessageOrderlyService does this per queue with a lock on the ProcessQueue and
 * returns SUSPEND_CURRENT_QUEUE_A_MOMENT on failure (client/.../consumer/
 * ConsumeMessageOrderlyService.java); Kafka consumers get order per partition for free from a
 * single-threaded poll loop, and the same commit-after-processing rule.
 *
 * L2.E: every effect and every commit carries the session's fencing token. If the handler or the
 * broker says the token is stale, another consumer owns the queue now: stop at once, without
 * retrying and without committing.
 *
 * The worker is assembled from its parts in worker-with.ts (the bug zoo replaces one at a time):
 * where a session starts (session-calls.ts: `committedOffset`), one message until it is done
 * (process-in-place.ts), and the messages of one pull in order, each committed once done
 * (`consumeInOrder`, where the commit point is marked).
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { orderlyParts, runOrderlyQueueWith } from "./worker-with.ts";

export function runOrderlyQueue(session: QueueSession): Promise<void> {
  return runOrderlyQueueWith(orderlyParts, session);
}
