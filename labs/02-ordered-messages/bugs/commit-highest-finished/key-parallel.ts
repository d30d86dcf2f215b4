/**
 * Bug zoo, lab 02: COMMITTING THE HIGHEST FINISHED OFFSET.
 *
 * The reference key-parallel worker, except for the offset it commits: one past the highest
 * message that has finished, instead of the lowest one that has not. With keys in parallel,
 * messages finish out of order: message 12 (key b) is done while message 10 (key a) is still
 * being retried. Committing 13 then says "everything below 13 is done", which is false, and a
 * crash at that moment makes the next session start at 13: message 10 is never processed.
 *
 * Why it is tempting: in the one-at-a-time worker "the last message done" and "everything before
 * it is done" are the same thing, and `max` is the natural way to keep a high-water mark that never
 * goes backwards. The bug needs a crash at the wrong moment to show, so it survives casual tests.
 *
 * What they do instead: RocketMQ's ProcessQueue keeps the messages in flight in a TreeMap by offset;
 * removeMessage returns the first key still in the map (or the next offset if it is empty), and that
 * is what the concurrent consumer commits: the smallest unfinished offset. One slow message holds
 * back the commit, so a crash replays everything after it (a rewind), never skips it. Confluent's
 * parallel consumer does the same, and encodes the finished offsets above the commit point in the
 * commit's metadata to replay less.
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
          highestDone = Math.max(highestDone, message.queueOffset);
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

  /** One past the highest offset done so far. (The bug: lower offsets may still be running.) */
  let highestDone = start - 1;
  const commitPoint = (): number => highestDone + 1;

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
