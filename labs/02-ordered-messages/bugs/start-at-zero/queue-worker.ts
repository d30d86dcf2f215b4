/**
 * Bug zoo, lab 02: A SESSION THAT STARTS AT THE BEGINNING OF THE QUEUE.
 *
 * The reference worker with one part replaced: where a session starts. It starts at offset 0,
 * every time, instead of asking the broker where the group left off (`queryOffset`). It still
 * commits after every message, so the broker knows; the worker just never asks.
 *
 * Why it is tempting: the first test has one consumer that never crashes, and it starts at 0,
 * which is where the group's offset is anyway. Each message is processed in order, so even after a
 * crash the effects look like an ordered consumer's: the queue replayed from the start, in order.
 * Ordered consumption is at least once, so repeating is allowed... but only what was not committed.
 * Replaying the whole queue after every restart or rebalance turns a crash into hours of repeated
 * work, and every repeated effect (a second charge, a second e-mail) is one the commit promised
 * would not happen.
 *
 * What they do instead: RocketMQ's RebalancePushImpl.computePullFromWhere reads the group's offset
 * from the broker (RemoteBrokerOffsetStore) for every queue it is assigned; only a group that has
 * never committed starts according to CONSUME_FROM_FIRST_OFFSET / LAST_OFFSET. A Kafka consumer
 * resumes from the group's committed offset (OffsetFetch) and uses `auto.offset.reset` only when
 * there is none.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { orderlyParts, runOrderlyQueueWith } from "../../solution/worker-with.ts";

/** The bug: the beginning of the queue, not where the group left off. */
async function startOffset(): Promise<number> {
  return 0;
}

export function runOrderlyQueue(session: QueueSession): Promise<void> {
  return runOrderlyQueueWith({ ...orderlyParts, startOffset }, session);
}
