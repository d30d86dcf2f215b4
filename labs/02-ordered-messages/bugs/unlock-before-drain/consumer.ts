/**
 * Bug zoo, lab 02: UNLOCKING A QUEUE WHILE ITS MESSAGE IS STILL IN FLIGHT.
 *
 * The reference consumer with one part replaced: how it lets go of a queue it should no longer
 * have. It tells the worker to stop and unlocks the queue at once, without waiting for the worker
 * to finish the message it is processing. The worker does stop, after that message.
 *
 * Why it is tempting: the rebalance should be quick, the worker checks its flag before every
 * message anyway, and waiting for a slow handler inside the rebalance loop feels like the thing to
 * avoid. The code reads as "stop, then unlock", which sounds like the right order.
 *
 * What breaks it: between the unlock and the end of the old worker's message, the queue is free.
 * The consumer it was handed to locks it, reads the committed offset (which does not cover the
 * message in flight yet) and starts on that same message, or the next one of the same key, while
 * the old owner is still working on it: two consumers on one queue.
 *
 * What they do instead: RocketMQ's RebalancePushImpl.removeUnnecessaryMessageQueue, for an orderly
 * consumer, first takes the ProcessQueue's consume lock (held for the whole time a message is being
 * consumed) with a timeout, and unlocks the queue at the broker only once it has it; if it cannot
 * take it, it keeps the queue and tries at the next rebalance (tryRemoveOrderMessageQueue). Kafka's
 * cooperative rebalancing likewise revokes a partition only after `onPartitionsRevoked` returns.
 */
import type { Env } from "#lab";
import { type ConsumerOptions, type OrderlyConsumer, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { type Consumer, consumerParts, type Held, openConsumerWith } from "../../solution/consumer-with.ts";

/** Stops a queue's worker and releases the lock. */
async function release(consumer: Consumer, queueId: number, entry: Held): Promise<void> {
  entry.stopping = true;
  if (consumer.held.get(queueId) === entry) consumer.held.delete(queueId);
  // The bug: unlocked now, while the worker may still be processing a message.
  const { group, consumerId } = consumer.options;
  await consumer.client.call({ type: "unlock", group, topic: TOPIC, consumerId, queueId });
}

export function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  return openConsumerWith({ ...consumerParts, release }, env, options);
}
