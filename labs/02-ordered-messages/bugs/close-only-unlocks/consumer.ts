/**
 * Bug zoo, lab 02: A CLOSE() THAT ONLY GIVES THE LOCKS BACK.
 *
 * The reference consumer, except for close(). Shutting down is taken to mean "let the others
 * have my queues", so close() unlocks every queue of the topic and returns. But the consumer's
 * heartbeat and rebalance timers still run, and so do its workers: at its next round it is still
 * a member of the group, locks its queues again, and goes on consuming, now from a process that
 * believes it has stopped (an application that closes its consumer before exiting, or to hand its
 * share to a new deployment, would have two consumers where it meant one).
 *
 * What they do instead: RocketMQ's DefaultMQPushConsumerImpl.shutdown stops the rebalance service
 * and the consume service first (ConsumeMessageOrderlyService.shutdown waits for the messages in
 * flight), and only then unlocks all its queues (RebalanceImpl.unlockAll) and unregisters from the
 * group; Kafka's KafkaConsumer.close leaves the group once it has stopped fetching.
 */
import type { Env } from "#lab";
import { type ConsumerOptions, type OrderlyConsumer, TIMING, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import { consumerParts, openConsumerWith } from "../../solution/consumer-with.ts";

export async function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  await openConsumerWith(consumerParts, env, options);
  const client = new BrokerClient(env.net, options.brokerId, TIMING.requestTimeoutMs);
  const { group, consumerId } = options;
  return {
    async close() {
      const route = await client.call({ type: "route", topic: TOPIC });
      const queueCount = route.kind === "ok" && route.reply.kind === "ok" ? route.reply.queueCount : 0;
      // The bug: the locks are given back, and nothing is stopped.
      for (let queueId = 0; queueId < queueCount; queueId++) {
        await client.call({ type: "unlock", group, topic: TOPIC, consumerId, queueId });
      }
    },
  };
}
