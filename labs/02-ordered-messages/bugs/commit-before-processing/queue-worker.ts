/**
 * Bug zoo, lab 02: COMMITTING A BATCH AS SOON AS IT IS PULLED.
 *
 * The reference worker, except that the offset is committed right after each pull, past the whole
 * batch, and only then are the batch's messages processed. If the consumer crashes in between, the
 * group's offset already says "done" for messages whose effects never happened: the next owner of
 * the queue starts after them, and they are never processed.
 *
 * Why it is tempting: commit-then-process is what Kafka's auto-commit does in effect
 * (`enable.auto.commit=true` commits the offsets returned by `poll`, on a timer, whether or not
 * the application has finished with them), and it keeps the commit out of the per-message path.
 * It also looks harmless in a test without crashes.
 *
 * What they do instead: RocketMQ's orderly consumer moves the offset only after the listener
 * returned SUCCESS for the messages (ProcessQueue.commit, called from
 * ConsumeMessageOrderlyService.processConsumeResult), and a Kafka application that cares commits
 * manually, after processing (at-least-once: a crash means a rewind, never a loss).
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
    // The bug: the batch is committed before any of it is processed.
    offset = reply.nextOffset;
    if ((await commit(session, offset)) === "stop") return;
    for (const message of reply.messages) {
      if ((await processInPlace(session, message)) === "stop") return;
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
      await session.env.clock.sleep(TIMING.suspendMs);
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
