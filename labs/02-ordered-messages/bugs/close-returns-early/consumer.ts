/**
 * Bug zoo, lab 02: A CLOSE() THAT DOES NOT WAIT FOR THE WORKERS.
 *
 * The reference consumer, except for close(). It does most of the job: it cancels its timers (no
 * more heartbeats or rounds: it leaves the group), waits for the round under way (so that no lock
 * is granted after it returns) and tells every worker to stop. Then it returns, without waiting for the workers: the message a worker is
 * in the middle of is still running when close() has returned, and its queue stays locked until
 * the lease runs out.
 *
 * Why it is tempting: the workers do stop, nothing new starts after close(), and in a test that
 * closes a consumer once its topic is drained, nothing is in flight to notice. Waiting looks like a
 * nicety. But the caller of close() goes on as if the consumer were gone: it exits the process
 * (the message is cut off halfway, its effect half done), or hands the queues to a new deployment.
 *
 * What they do instead: RocketMQ's DefaultMQPushConsumerImpl.shutdown shuts the consume service
 * down (ConsumeMessageOrderlyService.shutdown waits, up to awaitTerminationMillisWhenShutdown, for
 * the messages in flight) before it unlocks the queues and leaves the group; Kafka's
 * KafkaConsumer.close(timeout) returns only after the consumer has left the group.
 */
import type { Clock, Env, Timer } from "#lab";
import type { ConsumerOptions, OrderlyConsumer, QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { consumerParts, openConsumerWith } from "../../solution/consumer-with.ts";

export async function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  let closing = false;
  let round: Promise<void> = Promise.resolve();
  // The consumer's timers (heartbeats, rounds), kept so that close() can cancel them.
  const timers: Timer[] = [];
  const clock: Clock = {
    now: () => env.clock.now(),
    sleep: (ms) => env.clock.sleep(ms),
    setTimer: (ms, fn) => env.clock.setTimer(ms, fn),
    setInterval: (ms, fn) => {
      const timer = env.clock.setInterval(ms, fn);
      timers.push(timer);
      return timer;
    },
  };
  const worker = (session: QueueSession): Promise<void> =>
    options.worker({ ...session, isActive: () => !closing && session.isActive() });
  await openConsumerWith(
    {
      ...consumerParts,
      lockQueues: (consumer, wanted) => {
        if (closing) return Promise.resolve();
        round = consumerParts.lockQueues(consumer, wanted);
        return round;
      },
    },
    { ...env, clock },
    { ...options, worker },
  );
  return {
    async close() {
      closing = true; // every worker stops before its next message
      for (const timer of timers) timer.cancel(); // no more heartbeats or rounds: it leaves the group
      await round; // a lock request under way is answered before close() returns
      // The bug: the workers are told to stop, and nobody waits for them.
    },
  };
}
