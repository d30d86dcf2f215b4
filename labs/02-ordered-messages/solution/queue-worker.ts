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
