/**
 * Bug zoo, lab 02: RETRYING A FAILED MESSAGE LATER, AFTER THE REST OF THE BATCH.
 *
 * The reference worker with one part replaced: the consumption of a pulled batch. When the handler
 * fails, the message is put at the back of the batch just pulled, and the worker goes on with the
 * next one. The failed message is retried a little later, and the offset is committed only once the
 * whole batch is done, so nothing is lost. But every message behind the failed one in the batch,
 * some of them of the same key, is processed before it.
 *
 * Why it is tempting: it is how RocketMQ's *concurrent* consumer handles failure
 * (RECONSUME_LATER: the message is sent back to a retry topic and redelivered after a delay), and
 * for a concurrently consumed topic it is right: a bad message does not hold up the others, and it
 * is never lost. Using the same listener for an ordered topic is a classic mistake.
 *
 * What they do instead: RocketMQ's orderly consumer returns SUSPEND_CURRENT_QUEUE_A_MOMENT, which
 * puts the message back at the *front* of its ProcessQueue (makeMessageToConsumeAgain) and makes the
 * whole queue wait, because in an ordered queue nothing may overtake a message
 * (ConsumeMessageOrderlyService). Kafka has no retry topic at all for a partition: its consumer
 * seeks back to the failed record.
 */
import { type QueueSession, TIMING } from "#labs/02-ordered-messages/provided.ts";
import { attemptOnce } from "../../solution/process-in-place.ts";
import { commitOffset, type Step } from "../../solution/session-calls.ts";
import { type Batch, orderlyParts, runOrderlyQueueWith } from "../../solution/worker-with.ts";

async function consumeBatch(session: QueueSession, batch: Batch): Promise<Step> {
  // The bug: a failed message goes to the back of the batch, behind later messages of its key.
  const todo = [...batch.messages];
  for (let message = todo.shift(); message !== undefined; message = todo.shift()) {
    if (!session.isActive()) return "stop";
    const attempt = await attemptOnce(session, message);
    if (attempt === "fenced") return "stop";
    if (attempt === "failed") {
      todo.push(message);
      await session.env.clock.sleep(TIMING.suspendMs);
    }
  }
  // The whole batch is done (every message, even the retried ones): commit past it.
  return commitOffset(session, batch.nextOffset);
}

export function runOrderlyQueue(session: QueueSession): Promise<void> {
  return runOrderlyQueueWith({ ...orderlyParts, consumeBatch }, session);
}
