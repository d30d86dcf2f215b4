/**
 * Bug zoo, lab 02: negative-modulo. Not part of the bug itself: the reference producer, unchanged,
 * except that it routes with this folder's selectQueue (./routing.ts), as a learner's producer
 * would route with the learner's own.
 */
import type { Env } from "#lab";
import { type ProducerOptions, TIMING, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import { selectQueue } from "./routing.ts";

export interface Sent {
  queueId: number;
  queueOffset: number;
}

export interface OrderedProducer {
  /**
   * Sends one message and resolves once the broker has it, durably, exactly once. Messages of one
   * key are appended in the order `send` was called, however many are in flight.
   */
  send(key: string, body: string): Promise<Sent>;
}

/** Backoff between retries of one message: brief, because the broker is usually just slow. */
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

  // Per queue: the next sequence number, and the tail of the chain of sends in call order.
  const nextSequence = new Map<number, number>();
  const tails = new Map<number, Promise<unknown>>();

  const deliver = (queueId: number, sequence: number, key: string, body: string) =>
    retryUntil(env, async () => {
      const outcome = await client.call({ type: "send", topic: TOPIC, queueId, key, body, producerId, sequence });
      // maybe (timeout): unknown; send again, same sequence. The broker will say "duplicate" if it landed.
      if (outcome.kind !== "ok") return null;
      const reply = outcome.reply;
      if (reply.kind === "ok" || reply.kind === "duplicate") return { queueId, queueOffset: reply.queueOffset };
      // outOfOrder cannot happen with one message in flight per queue, and a store error means
      // nothing was appended: both are safe to retry.
      return null;
    });

  return {
    send(key, body) {
      const queueId = selectQueue(key, queueCount);
      // The sequence number is fixed now, at the call: it is the message's place in its stream.
      const sequence = nextSequence.get(queueId) ?? 0;
      nextSequence.set(queueId, sequence + 1);
      const previous = tails.get(queueId) ?? Promise.resolve();
      const sent = previous.then(() => deliver(queueId, sequence, key, body));
      tails.set(queueId, sent);
      return sent;
    },
  };
}

/** Calls `attempt` until it returns something other than null, pausing briefly between tries. */
async function retryUntil<T>(env: Env, attempt: () => Promise<T | null>): Promise<T> {
  for (;;) {
    const result = await attempt();
    if (result !== null) return result;
    await env.clock.sleep(RETRY_BACKOFF_MS);
  }
}
