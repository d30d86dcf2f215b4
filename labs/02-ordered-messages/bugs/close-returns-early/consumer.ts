/**
 * Bug zoo, lab 02: A CLOSE() THAT DOES NOT WAIT.
 *
 * The reference consumer, except that close() starts the shutdown and returns at once: the
 * reference's own close (stop every worker, wait for its message in flight, unlock) runs on in the
 * background, unawaited. The workers are told to stop, so nothing new starts; but the message a
 * worker is in the middle of is still running when close() has returned.
 *
 * Why it is tempting: close() "obviously" works: every worker stops, the queues get unlocked, and
 * in a test that closes a consumer once the topic is drained, nothing is in flight to notice. It
 * is a missing `await`, or a `close() { this.closed = true; }` that leaves the rest to the loops.
 * But the caller of close() goes on as if the consumer were gone: it exits the process (the
 * message is cut off halfway, its effect half done), or hands the queues to a new deployment.
 *
 * What they do instead: RocketMQ's DefaultMQPushConsumerImpl.shutdown shuts the consume service
 * down (ConsumeMessageOrderlyService.shutdown waits, up to awaitTerminationMillisWhenShutdown, for
 * the messages in flight) before it unlocks the queues and leaves the group; Kafka's
 * KafkaConsumer.close(timeout) returns only after the consumer has left the group.
 */
import type { Env } from "#lab";
import type { ConsumerOptions, OrderlyConsumer } from "#labs/02-ordered-messages/provided.ts";
import { consumerParts, openConsumerWith } from "../../solution/consumer-with.ts";

export async function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  const consumer = await openConsumerWith(consumerParts, env, options);
  return {
    async close() {
      // The bug: the shutdown is started, not awaited.
      void consumer.close();
    },
  };
}
