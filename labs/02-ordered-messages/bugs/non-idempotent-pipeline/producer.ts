/**
 * Bug zoo, lab 02: RETRIES WITHOUT IDEMPOTENCE, SEVERAL SENDS IN FLIGHT.
 *
 * Every send goes out at once, in its own retry loop, with sequence -1: the broker's "no
 * idempotence" mode, which appends whatever arrives. Two things go wrong, both when a request or
 * its reply is lost:
 *   - the reply of a send that did land is lost; the retry lands too: the message is stored twice;
 *   - send #1 is lost, send #2 (same key) lands, then #1's retry lands: #2 is stored before #1.
 *
 * Why it is tempting: it is the fastest producer there is (no waiting for one message before the
 * next), it never loses a message (it retries until the broker answers), and on a healthy network
 * it is perfectly ordered. It is also what Kafka's producer did by default for years:
 * `retries` > 0 with `max.in.flight.requests.per.connection` = 5 and `enable.idempotence` = false,
 * which its documentation warns "may reorder" (idempotence became the default only in 3.0).
 *
 * What they do instead: Kafka's idempotent producer numbers each partition's batches; the broker
 * appends a batch only if its sequence is the last one + 1 (ProducerAppendInfo.checkSequence),
 * answers a known one as a duplicate, and rejects a gap, and the client re-sends in sequence order
 * (RecordAccumulator.insertInSequenceOrder). RocketMQ's ordered sends are simply not retried by the
 * client (the application decides), and one message of a queue is sent at a time.
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
/** Kafka's RecordBatch.NO_SEQUENCE: "not idempotent, append whatever arrives". */
const NO_SEQUENCE = -1;

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

  return {
    send(key, body) {
      const queueId = selectQueue(key, queueCount);
      // The bug: no place in a stream, and no waiting for the previous send of the queue.
      return retryUntil(env, async () => {
        const outcome = await client.call({
          type: "send",
          topic: TOPIC,
          queueId,
          key,
          body,
          producerId,
          sequence: NO_SEQUENCE,
        });
        if (outcome.kind !== "ok") return null; // timed out: send it again
        const reply = outcome.reply;
        return reply.kind === "ok" || reply.kind === "duplicate" ? { queueId, queueOffset: reply.queueOffset } : null;
      });
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
