/**
 * Bug zoo, lab 02: SKIPPING A MESSAGE WHOSE HANDLER FAILED.
 *
 * The reference worker, except that a `TransientFailure` is logged and the message dropped: the
 * worker moves on to the next one, and the committed offset passes the message that failed.
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
    for (const message of reply.messages) {
      if ((await processInPlace(session, message)) === "stop") return;
      offset = message.queueOffset + 1;
      // -- the message's effect is done: only now may the offset pass it.
      if ((await commit(session, offset)) === "stop") return;
    }
  }
}

/** Runs the handler on one message until it succeeds, suspending the queue after each failure. */
async function processInPlace(session: QueueSession, message: StoredMessage): Promise<Step> {
  for (;;) {
    if (!session.isActive()) return "stop";
    try {
      await session.handler(message, session.token);
      return "continue";
    } catch (error) {
      if (error instanceof FencedError) return "stop";
      if (!(error instanceof TransientFailure)) throw error;
      // The bug: give up on the message and go on with the next one.
      session.env.log.warn({ offset: message.queueOffset }, "handler failed; skipping the message");
      return "continue";
    }
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
