/**
 * Bug zoo, lab 02: A SEND THAT GIVES UP AFTER A FEW ATTEMPTS.
 *
 * The reference producer with one part replaced: the delivery of one numbered message. It sends
 * the message, with the right sequence number, up to three times; if none of the three gets an
 * answer, it rejects the send with an error, as a well-behaved client "fails fast".
 *
 * Why it is tempting: unbounded retries look like a hang waiting to happen, every HTTP client has a
 * retry limit, and "retries: 3" is the default that many producers ship with. Surfacing the failure
 * to the caller feels more honest than waiting. But the caller cannot do better: the message's
 * outcome is unknown (one of the three attempts may have landed), its place in the queue's stream
 * is taken, and the next message of the queue, numbered after it, is refused by the broker as "out
 * of order" until the gap is filled. A partition of a few hundred milliseconds is enough.
 *
 * What they do instead: Kafka's producer retries a batch for as long as `delivery.timeout.ms`
 * allows (two minutes by default, `retries` is effectively unbounded) and only then fails it, and
 * an idempotent producer that fails a batch bumps its epoch to reset its sequences
 * (TransactionManager). RocketMQ does not retry ordered sends at all and leaves the decision to the
 * application, which must then keep the order itself. This lab's contract is the plain one: retry
 * while the process lives.
 */
import type { Env } from "#lab";
import type { OrderedProducer, ProducerOptions, Sent } from "#labs/02-ordered-messages/provided.ts";
import { openProducerWith, producerParts } from "../../solution/producer-with.ts";
import { type NumberedMessage, type ProducerLink, sendOnce, storedAt } from "../../solution/queue-stream.ts";

const ATTEMPTS = 3;
const BACKOFF_MS = 10;

async function deliver(link: ProducerLink, message: NumberedMessage): Promise<Sent> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const stored = storedAt(message.queueId, await sendOnce(link, message));
    if (stored !== null) return stored;
    await link.env.clock.sleep(BACKOFF_MS * attempt);
  }
  // The bug: the send gives up while the process lives, and the message's fate is unknown.
  throw new Error(`send of ${message.body} failed after ${ATTEMPTS} attempts`);
}

export function openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer> {
  return openProducerWith({ ...producerParts, deliver }, env, options);
}
