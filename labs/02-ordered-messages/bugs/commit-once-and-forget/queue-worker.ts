/**
 * Bug zoo, lab 02: A COMMIT SENT ONCE AND FORGOTTEN.
 *
 * The reference worker with one part replaced: what it does when a pull finds nothing new. Here,
 * nothing: each commit is sent once, right after its message, and a commit whose reply was lost
 * (it may or may not have reached the broker) is covered only by the next message's commit. After
 * the last message of a quiet queue there is no next message, so a lost final commit stays lost:
 * the group's offset stays behind, and whoever takes the queue over next (a restart, a
 * rebalance) processes the tail again. No message is lost; work is repeated, and with it every
 * side effect a handler has that is not idempotent.
 *
 * Why it is tempting: "a later commit says more" is true, and in a busy test there is always a
 * later commit. The quiet end of a stretch is exactly where a test stops looking.
 *
 * What they do instead: RocketMQ's client keeps each queue's offset in memory and sends all of
 * them to the broker on a timer (MQClientInstance's persistAllConsumerOffset, every 5 s by
 * default), whether or not anything moved, so a lost commit is only ever late. Kafka's consumer
 * commits on a timer too (auto.commit.interval.ms), or the application commits again on close.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import type { Step } from "../../solution/session-calls.ts";
import { orderlyParts, runOrderlyQueueWith } from "../../solution/worker-with.ts";

// The bug: an empty pull is only a reason to wait; the offset is never sent again.
const whenIdle = () => async (): Promise<Step> => "continue";

export function runOrderlyQueue(session: QueueSession): Promise<void> {
  return runOrderlyQueueWith({ ...orderlyParts, whenIdle }, session);
}
