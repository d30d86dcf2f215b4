/**
 * Bug zoo, lab 02: A NEW SEQUENCE NUMBER FOR EVERY ATTEMPT.
 *
 * The reference producer's shape (one message of a queue in flight at a time, retried until the
 * broker answers), but the sequence number is taken when each *attempt* is sent, not when `send`
 * is called. When the broker answers "out of order", the producer adopts the number the broker
 * says it expects and tries again. On a healthy network nothing is wrong. Then a reply is lost:
 * the message did land under number n, the retry goes out as n + 1, the broker sees the next
 * number in the stream, and appends the same message again.
 *
 * Why it is tempting: a sequence number looks like a request id, and "each request gets a fresh
 * id" is a good habit elsewhere. Resynchronising on "out of order" feels robust, too: the broker
 * told us what it wants.
 *
 * What they do instead: in Kafka the sequence number belongs to the *batch*, fixed when the batch
 * is first drained for sending; every retry of it carries the same base sequence, which is how the
 * broker recognises a retry (ProducerAppendInfo.checkSequence, the duplicate check in
 * ProducerStateEntry.findDuplicateBatch). A number decides a message's place in its stream; the
 * place does not change because a reply was lost.
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

  const deliver = (queueId: number, key: string, body: string) =>
    retryUntil(env, async () => {
      // The bug: a fresh number per attempt. A retry of a message that landed looks like a new one.
      const sequence = nextSequence.get(queueId) ?? 0;
      nextSequence.set(queueId, sequence + 1);
      const outcome = await client.call({ type: "send", topic: TOPIC, queueId, key, body, producerId, sequence });
      if (outcome.kind !== "ok") return null;
      const reply = outcome.reply;
      if (reply.kind === "ok" || reply.kind === "duplicate") return { queueId, queueOffset: reply.queueOffset };
      if (reply.kind === "outOfOrder") nextSequence.set(queueId, reply.expected); // "resynchronise"
      return null;
    });

  return {
    send(key, body) {
      const queueId = selectQueue(key, queueCount);
      const previous = tails.get(queueId) ?? Promise.resolve();
      const sent = previous.then(() => deliver(queueId, key, body));
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
