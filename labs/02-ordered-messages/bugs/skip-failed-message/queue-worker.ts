/**
 * Bug zoo, lab 02: SKIPPING A MESSAGE WHOSE HANDLER FAILED.
 *
 * The reference worker with one part replaced: processing one message. A `TransientFailure` is
 * logged and the message dropped: the worker moves on to the next one, and the committed offset
 * passes the message that failed.
 *
 * Why it is tempting: one bad message must not block the queue forever (the "poison pill" fear),
 * and with concurrent consumers a failure is indeed not the end of the message: it goes to a retry
 * queue and comes back later. Catch, log, continue is the reflex of every batch job.
 *
 * What they do instead: RocketMQ's orderly consumer returns SUSPEND_CURRENT_QUEUE_A_MOMENT: the
 * message goes back to the front of its ProcessQueue and the whole queue waits (1 s by default)
 * before the same message is tried again; the retry count is unbounded unless you set one
 * (ConsumeMessageOrderlyService, ProcessQueue.makeMessageToConsumeAgain). A Kafka consumer that
 * fails a record does not commit past it; it seeks back to it. Skipping makes every later message
 * of the key overtake the failed one, which is a reorder, or a loss if it is never seen again.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { attemptOnce } from "../../solution/process-in-place.ts";
import type { Step } from "../../solution/session-calls.ts";
import { orderlyParts, runOrderlyQueueWith } from "../../solution/worker-with.ts";

async function processInPlace(session: QueueSession, message: StoredMessage): Promise<Step> {
  if (!session.isActive()) return "stop";
  const attempt = await attemptOnce(session, message);
  if (attempt === "fenced") return "stop";
  // The bug: give up on a failed message and go on with the next one.
  if (attempt === "failed") session.env.log.warn({ offset: message.queueOffset }, "handler failed; skipping it");
  return "continue";
}

export function runOrderlyQueue(session: QueueSession): Promise<void> {
  return runOrderlyQueueWith({ ...orderlyParts, processInPlace }, session);
}
