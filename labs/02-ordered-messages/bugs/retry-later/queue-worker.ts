/**
 * Bug zoo, lab 02: RETRYING A FAILED MESSAGE LATER, AFTER THE REST OF THE BATCH.
 *
 * The reference worker, except for what happens when the handler fails: the message is put at the
 * back of the batch just pulled, and the worker goes on with the next one. The failed message is
 * retried a little later, and the offset is committed only once the whole batch is done, so nothing
 * is lost. But every message behind the failed one in the batch, some of them of the same key, is
 * processed before it.
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

import { FencedError, type QueueSession, TIMING, TOPIC, TransientFailure } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";

type Step = "continue" | "stop";

export async function runOrderlyQueue(session: QueueSession): Promise<void> {
  const { env, client, queueId } = session;
  let offset = await committedOffset(session);
  while (offset !== null && session.isActive()) {
    const pulled = await client.call({ type: "pull", topic: TOPIC, queueId, offset, max: TIMING.pullBatch });
    if (pulled.kind !== "ok") continue; // the pull timed out: nothing happened, pull again
    const reply = pulled.reply;
    if (reply.kind === "offsetOutOfRange") {
      offset = reply.minOffset; // retention removed what we had not read; start at what is left
      continue;
    }
    if (reply.kind !== "ok" || reply.messages.length === 0) {
      await env.clock.sleep(TIMING.pullIdleMs);
      continue;
    }
    // The bug: a failed message goes to the back of the batch, behind later messages of its key.
    const batch = [...reply.messages];
    for (let message = batch.shift(); message !== undefined; message = batch.shift()) {
      const step = await processOnce(session, message);
      if (step === "stop") return;
      if (step === "retryLater") {
        batch.push(message);
        await env.clock.sleep(TIMING.suspendMs);
      }
    }
    // The whole batch is done (every message, even the retried ones): commit past it.
    offset = reply.nextOffset;
    if ((await commit(session, offset)) === "stop") return;
  }
}

/** Runs the handler on one message once: done, stop, or "try it again later". */
async function processOnce(session: QueueSession, message: StoredMessage): Promise<Step | "retryLater"> {
  if (!session.isActive()) return "stop";
  try {
    await session.handler(message, session.token);
    return "continue";
  } catch (error) {
    if (error instanceof FencedError) return "stop";
    if (!(error instanceof TransientFailure)) throw error;
    return "retryLater";
  }
}

/** Commits `offset` under the session's token. A lost reply is fine: the next commit covers it. */
async function commit(session: QueueSession, offset: number): Promise<Step> {
  const reply = await session.client.call({
    type: "commitOffset",
    group: session.group,
    topic: TOPIC,
    queueId: session.queueId,
    consumerId: session.consumerId,
    offset,
    token: session.token,
  });
  return reply.kind === "ok" && reply.reply.kind === "fenced" ? "stop" : "continue";
}

/** Where the group left off on this queue; null if the session ended before the broker answered. */
export async function committedOffset(session: QueueSession): Promise<number | null> {
  while (session.isActive()) {
    const reply = await session.client.call({
      type: "queryOffset",
      group: session.group,
      topic: TOPIC,
      queueId: session.queueId,
    });
    if (reply.kind === "ok" && reply.reply.kind === "ok") return reply.reply.offset;
    if (reply.kind === "ok") return null; // no such topic: nothing to do
  }
  return null;
}
