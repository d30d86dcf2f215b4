/**
 * L2.B A producer that retries without reordering or duplicating.
 *
 * A send that times out has an unknown outcome: the broker may have appended the message (and the
 * reply was lost), or not. Retrying is necessary (or the message may be lost) and dangerous: a
 * retry of a message that did land is a duplicate; and if later messages of the same key were sent
 * meanwhile, a retry that lands after them is a reorder.
 *
 * The cure is Kafka's idempotent producer. The broker gives the producer an id; the producer
 * numbers its messages per queue, 0, 1, 2, ...; the broker appends a message only if its number is
 * the next one it expects for that (producer, queue), answers a retry of something it already has
 * with "duplicate" (and the original offset), and refuses a number that skips ahead. A retry can
 * then never duplicate, and a message can never land before an earlier one of its stream.
 *
 * This producer keeps it simple on its side: per queue, one message in flight at a time, each
 * retried with the same sequence number until the broker answers. That is Kafka with
 * `max.in.flight.requests.per.connection=1`: ordered even without the broker's check, and the
 * sequence numbers remove the duplicates. Kafka allows up to five batches in flight and relies on
 * the broker rejecting gaps (`OutOfOrderSequenceException`) and the client re-queueing batches in
 * sequence order (RecordAccumulator.insertInSequenceOrder); the guide shows that design too.
 *
 * A restarted producer asks for a new id and starts its sequences again at 0. Messages its previous
 * incarnation had in flight may still land (with the old id); their outcome was unknown, and stays
 * so. Kafka's transactional producers fence the old incarnation with an epoch; idempotent-only
 * producers, like this one, do not.
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
