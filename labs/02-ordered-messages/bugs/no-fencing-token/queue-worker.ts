/**
 * Bug zoo, lab 02: NO FENCING TOKEN ON THE EFFECT.
 *
 * The reference worker, except that the business effect is done without the lock's fencing token:
 * the handler gets 0, "unfenced", which the downstream system accepts without a check (as any
 * system that has never heard of fencing would). Offset commits still carry the token, so the
 * broker does refuse a stale consumer's commits; only the effect itself is unprotected.
 *
 * Why it is tempting: the lock and the lease already say who owns the queue, and the worker checks
 * `isActive()` before every message. The token looks like something for the broker's bookkeeping,
 * not for the business code. And RocketMQ itself works like this: its orderly consumer holds a
 * broker lock and checks that the lock is not expired (ProcessQueue.isLockExpired) before
 * consuming, but passes nothing to your listener that a database could check.
 *
 * What breaks it: a consumer that freezes (a long GC pause) after its check and before its write,
 * or whose clock runs slow, wakes up believing it still owns the queue. Meanwhile its lease ran out
 * at the broker and another consumer took the queue. The frozen one's write then lands on top of
 * the new owner's work: the same key processed by two consumers at once, or out of order. No check
 * *before* a write can prevent that; only a check *at* the write can.
 *
 * What to do instead: pass the token to every effect and every commit, and have the system that
 * takes the effect refuse a token lower than the highest it has seen (the ledger here; a version
 * column in a database). That is the fencing token of Chubby and of Kleppmann's "How to do
 * distributed locking"; Kafka's producer epochs and leader epochs fence zombies the same way.
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
      await session.handler(message, 0); // the bug: the effect carries no fencing token
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
