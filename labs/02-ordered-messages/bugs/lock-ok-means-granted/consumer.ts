/**
 * Bug zoo, lab 02: A LOCK CALL THAT SUCCEEDED, READ AS "EVERY QUEUE IS MINE".
 *
 * The reference consumer with one part replaced: how it reads the lock reply. It asks for all the
 * queues it should have and, when the call comes back `ok`, starts a worker on each of them that it
 * does not run yet. But `ok` only means the broker answered: the queues it granted are the ones
 * listed in `granted`. A queue missing from the list is still someone else's, whose lease has not
 * run out.
 *
 * Why it is tempting: most APIs say "ok" when the thing asked for was done, and "error" otherwise.
 * The broker's batch lock answers "ok" with a partial result instead (RocketMQ's
 * LockBatchMQRequest returns the set of queues it locked), and the partial case appears only while
 * two consumers disagree about who should have a queue, for a moment after each join or leave.
 *
 * What they do instead: RocketMQ's RebalanceImpl.lockAll compares the returned set with the one it
 * asked for: the queues in it are marked locked (`ProcessQueue.setLocked(true)`), and only those
 * are consumed; ConsumeMessageOrderlyService checks `isLocked()` before every batch.
 */
import type { Env } from "#lab";
import { type ConsumerOptions, type OrderlyConsumer, TIMING, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { type Consumer, consumerParts, openConsumerWith } from "../../solution/consumer-with.ts";

async function lockQueues(consumer: Consumer, wanted: ReadonlySet<number>): Promise<void> {
  const { env, client, options, held } = consumer;
  const sentAt = env.clock.now();
  const { group, consumerId } = options;
  const locked = await client.call({ type: "lock", group, topic: TOPIC, consumerId, queueIds: [...wanted] });
  if (locked.kind !== "ok" || locked.reply.kind !== "ok") return;
  const grants = locked.reply.granted;
  // The bug: the call succeeded, so every queue asked for is taken to be ours.
  for (const queueId of wanted) {
    const token = grants.find((grant) => grant.queueId === queueId)?.token ?? 0;
    const activeUntil = sentAt + TIMING.lockLeaseMs - TIMING.lockSafetyMarginMs;
    const entry = held.get(queueId);
    if (entry === undefined) consumer.start(queueId, token, activeUntil);
    else entry.activeUntil = activeUntil;
  }
}

export function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  return openConsumerWith({ ...consumerParts, lockQueues }, env, options);
}
