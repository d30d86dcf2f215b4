/**
 * Bug zoo, lab 02: ROUTING BY THE MESSAGE ID INSTEAD OF THE SHARDING KEY.
 *
 * The reference producer, with one change: it hands `selectQueue` the message's body (here, its
 * unique id) rather than its key. selectQueue itself is right; it is given the wrong argument.
 *
 * Why it is tempting: the message id is always there, it is unique, and hashing it spreads the load
 * over the queues perfectly, which is exactly what a load-balancing instinct wants. In RocketMQ the
 * queue selector receives an `arg` of your choosing (`send(msg, selector, arg)`), and it is easy to
 * pass the message's own id or its `keys` property (meant for lookup, often unique per message).
 * But a unique value scatters one order's messages over all the queues, and nothing orders one
 * queue against another: order is gone before any consumer sees a message.
 *
 * What they do instead: RocketMQ's SelectMessageQueueByHash hashes the sharding key you pass as
 * `arg` (the order id), and Kafka's partitioner hashes the record's key; the key names the stream
 * whose order matters, so it, and only it, must choose the queue.
 */
import type { Env } from "#lab";
import { type ProducerOptions, TIMING, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import { selectQueue } from "../../solution/routing.ts";

export interface Sent {
  queueId: number;
  queueOffset: number;
}

export interface OrderedProducer {
  send(key: string, body: string): Promise<Sent>;
}

const RETRY_BACKOFF_MS = 5;

export async function openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer> {
  const client = new BrokerClient(env.net, options.brokerId, TIMING.requestTimeoutMs);
  const queueCount = await retryUntil(env, async () => {
    const route = await client.call({ type: "route", topic: TOPIC });
    return route.kind === "ok" && route.reply.kind === "ok" ? route.reply.queueCount : null;
  });
  const producerId = await retryUntil(env, async () => {
    const init = await client.call({ type: "initProducer" });
    return init.kind === "ok" ? init.reply.producerId : null;
  });
  const nextSequence = new Map<number, number>();
  const tails = new Map<number, Promise<unknown>>();

  const deliver = (queueId: number, sequence: number, key: string, body: string) =>
    retryUntil(env, async () => {
      const outcome = await client.call({ type: "send", topic: TOPIC, queueId, key, body, producerId, sequence });
      if (outcome.kind !== "ok") return null;
      const reply = outcome.reply;
      if (reply.kind === "ok" || reply.kind === "duplicate") return { queueId, queueOffset: reply.queueOffset };
      return null;
    });

  return {
    send(key, body) {
      const queueId = selectQueue(body, queueCount); // the bug: the message id, not the key
      const sequence = nextSequence.get(queueId) ?? 0;
      nextSequence.set(queueId, sequence + 1);
      const previous = tails.get(queueId) ?? Promise.resolve();
      const sent = previous.then(() => deliver(queueId, sequence, key, body));
      tails.set(queueId, sent);
      return sent;
    },
  };
}

async function retryUntil<T>(env: Env, attempt: () => Promise<T | null>): Promise<T> {
  for (;;) {
    const result = await attempt();
    if (result !== null) return result;
    await env.clock.sleep(RETRY_BACKOFF_MS);
  }
}
