/**
 * L2.F Throughput: one queue, many keys in parallel, each key strictly in order.
 *
 * Orderly consumption pays for its order with parallelism: one message at a time per queue, so a
 * queue can go no faster than one handler after another. But the order that matters is per key
 * (per order id, per account), and a queue carries many keys. Messages of different keys can run
 * at the same time; only messages of the same key must wait for each other.
 *
 * So: read the queue in order, and give each key its own chain. A message starts when the previous
 * message of its key is done (and a slot is free: at most MAX_IN_FLIGHT at once). A failing
 * message is retried in place on its chain, which holds back its key only.
 *
 * The committed offset must still pass only finished messages, and they now finish out of order:
 * message 12 (key b) may be done while message 10 (key a) is still running. The offset that is
 * safe to commit is the smallest offset not yet done (RocketMQ's ProcessQueue keeps its messages in
 * a sorted map and commits the first key still there, `ProcessQueue.removeMessage`). Committing the
 * highest finished offset instead would skip message 10 after a crash.
 *
 * This is the classic answer to "how do I speed up orderly consumption" (and what Confluent's
 * parallel-consumer calls key ordering). The guide measures it against runOrderlyQueue.
 */

import { FencedError, type QueueSession, TIMING, TOPIC, TransientFailure } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { committedOffset } from "./queue-worker.ts";

/** At most this many messages of one queue in flight at once. */
const MAX_IN_FLIGHT = 16;
/** Pull more once fewer than this many messages are waiting or running. */
const BUFFER_LOW = 32;

export async function runKeyParallelQueue(session: QueueSession): Promise<void> {
  const { env, client, queueId } = session;
  const start = await committedOffset(session);
  if (start === null) return;
  let nextPull = start;
  /** Offsets pulled and not yet done, for the commit point. */
  const pending = new Set<number>();
  /** Per key, the promise of its last scheduled message. */
  const chains = new Map<string, Promise<void>>();
  let inFlight = 0;
  const waitingForSlot: Array<() => void> = [];
  let fenced = false;
  let committed = start;

  const acquireSlot = async (): Promise<void> => {
    while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => waitingForSlot.push(resolve));
    inFlight++;
  };
  const releaseSlot = (): void => {
    inFlight--;
    waitingForSlot.shift()?.();
  };

  const processInPlace = async (message: StoredMessage): Promise<void> => {
    await acquireSlot();
    try {
      for (;;) {
        if (fenced || !session.isActive()) return;
        try {
          await session.handler(message, session.token);
          pending.delete(message.queueOffset);
          return;
        } catch (error) {
          if (error instanceof FencedError) {
            fenced = true;
            return;
          }
          if (!(error instanceof TransientFailure)) throw error;
          await env.clock.sleep(TIMING.suspendMs);
        }
      }
    } finally {
      releaseSlot();
    }
  };

  /** The smallest offset not yet done: everything below it is done. */
  const commitPoint = (): number => (pending.size === 0 ? nextPull : Math.min(...pending));

  const commit = async (): Promise<void> => {
    const offset = commitPoint();
    if (offset <= committed || fenced) return;
    const reply = await client.call({
      type: "commitOffset",
      group: session.group,
      topic: TOPIC,
      queueId,
      consumerId: session.consumerId,
      offset,
      token: session.token,
    });
    if (reply.kind === "ok" && reply.reply.kind === "fenced") fenced = true;
    else if (reply.kind === "ok") committed = Math.max(committed, offset);
  };

  while (!fenced && session.isActive()) {
    if (pending.size >= BUFFER_LOW) {
      await Promise.race([...chains.values(), env.clock.sleep(TIMING.pullIdleMs)]);
      await commit();
      continue;
    }
    const pulled = await client.call({ type: "pull", topic: TOPIC, queueId, offset: nextPull, max: TIMING.pullBatch });
    if (pulled.kind !== "ok") continue;
    const reply = pulled.reply;
    if (reply.kind === "offsetOutOfRange") {
      nextPull = reply.minOffset;
      continue;
    }
    if (reply.kind !== "ok" || reply.messages.length === 0) {
      await commit();
      await env.clock.sleep(TIMING.pullIdleMs);
      continue;
    }
    for (const message of reply.messages) {
      pending.add(message.queueOffset);
      const previous = chains.get(message.key) ?? Promise.resolve();
      const chain = previous.then(() => processInPlace(message));
      chains.set(message.key, chain);
      void chain.then(() => {
        if (chains.get(message.key) === chain) chains.delete(message.key);
      });
    }
    nextPull = reply.nextOffset;
    await commit();
  }
  // Let every message in flight finish before the session ends: the consumer unlocks after this.
  await Promise.all(chains.values());
  await commit();
}
