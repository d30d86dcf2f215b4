/**
 * One queue's stream of sends: the heart of the idempotent producer (producer.ts says why).
 *
 * Two decisions live here, each a part that producer-with.ts assembles:
 *   - `openQueueStream`: when a message gets its place in the stream (its sequence number: at the
 *     call, never at a retry) and how many messages of the queue are in flight (one: each waits for
 *     the previous one's acknowledgement);
 *   - `deliverUntilStored`: one numbered message, sent again with the *same* number until the
 *     broker has it. "duplicate" is a success: the broker already had it, and says where.
 */

import type { Env } from "#lab";
import { type SendReply, type Sent, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import type { BrokerClient } from "#labs/shared/broker/client.ts";
import { retryUntil } from "./retry.ts";

/** What a stream needs from the producer that opened it. */
export interface ProducerLink {
  env: Env;
  client: BrokerClient;
  producerId: string;
}

/** A message with its place in its queue's stream. */
export interface NumberedMessage {
  queueId: number;
  sequence: number;
  key: string;
  body: string;
}

/** Sends one numbered message; resolves once the broker has stored it. */
export type Deliver = (link: ProducerLink, message: NumberedMessage) => Promise<Sent>;

/** One queue's stream: `send` for the messages routed to it. */
export type QueueStream = (key: string, body: string) => Promise<Sent>;

export function openQueueStream(link: ProducerLink, queueId: number, deliver: Deliver): QueueStream {
  let nextSequence = 0;
  const inCallOrder = oneAtATime();
  return (key, body) => {
    // The sequence number is fixed now, at the call: it is the message's place in its stream.
    const sequence = nextSequence++;
    return inCallOrder(() => deliver(link, { queueId, sequence, key, body }));
  };
}

export const deliverUntilStored: Deliver = (link, message) =>
  // maybe (timeout): unknown; send again, same sequence. The broker will say "duplicate" if it
  // landed. outOfOrder cannot happen with one message in flight per queue, and a store error means
  // nothing was appended: both are safe to retry.
  retryUntil(link.env, async () => storedAt(message.queueId, await sendOnce(link, message)));

/** Sends one numbered message, once: the broker's reply, or null if none came back in time. */
export async function sendOnce(link: ProducerLink, message: NumberedMessage): Promise<SendReply | null> {
  const { queueId, sequence, key, body } = message;
  const outcome = await link.client.call({
    type: "send",
    topic: TOPIC,
    queueId,
    key,
    body,
    producerId: link.producerId,
    sequence,
  });
  return outcome.kind === "ok" ? outcome.reply : null;
}

/** Where the message is, if the reply says the broker has it ("duplicate": it had it already). */
export function storedAt(queueId: number, reply: SendReply | null): Sent | null {
  return reply?.kind === "ok" || reply?.kind === "duplicate" ? { queueId, queueOffset: reply.queueOffset } : null;
}

/**
 * Runs tasks one after another, in the order they were handed in: each starts once the previous
 * one has settled (Kafka's `max.in.flight.requests.per.connection=1`, per queue).
 */
export function oneAtATime(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const result = tail.then(task);
    tail = result.catch(() => undefined); // a failed task does not stop the ones behind it
    return result;
  };
}
