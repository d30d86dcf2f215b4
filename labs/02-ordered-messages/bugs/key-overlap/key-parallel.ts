/**
 * Bug zoo, lab 02: KEY CHAINS THAT END AT THE BATCH BOUNDARY.
 *
 * The reference key-parallel worker, except that the per-key chains are kept per pulled batch: a
 * message waits for the previous message of its key *in the same batch*, and the first message of
 * a key in a new batch starts at once. Within a batch, each key is in order; across two batches it
 * is not: the last message of key a from batch 1 may still be running (being retried, say) when
 * the first message of key a from batch 2 starts. Two messages of one key run at the same time,
 * and the later one may well finish first.
 *
 * Why it is tempting: grouping a batch by key and running the groups in parallel is the obvious
 * code (`groupBy(batch, key)`, one promise per group), it is fast, and it is correct whenever a
 * batch is finished before the next arrives, which is what happens in a quick test. Pulling the
 * next batch before the last one is done is what makes it fast, and what breaks it.
 *
 * What they do instead: the key's chain must outlive the batch: keep, per key, the promise of its
 * last scheduled message for as long as it runs (the reference's `chains` map). RocketMQ's orderly
 * consumer has no key parallelism inside a queue at all (ConsumeMessageOrderlyService: one thread per
 * queue, under the ProcessQueue's consume lock); Confluent's parallel consumer, in KEY order mode,
 * tracks in-flight work per key across polls.
 */

import { FencedError, type QueueSession, TIMING, TOPIC, TransientFailure } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { committedOffset } from "../../solution/queue-worker.ts";

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
    // The bug: the chains start afresh with every batch.
    const batchChains = new Map<string, Promise<void>>();
    for (const message of reply.messages) {
      pending.add(message.queueOffset);
      const previous = batchChains.get(message.key) ?? Promise.resolve();
      const chain = previous.then(() => processInPlace(message));
      batchChains.set(message.key, chain);
      chains.set(`${message.key}@${message.queueOffset}`, chain);
      void chain.then(() => {
        chains.delete(`${message.key}@${message.queueOffset}`);
      });
    }
    nextPull = reply.nextOffset;
    await commit();
  }
  // Let every message in flight finish before the session ends: the consumer unlocks after this.
  await Promise.all(chains.values());
  await commit();
}
