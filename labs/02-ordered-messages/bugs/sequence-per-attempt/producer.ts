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
import type { OrderedProducer, ProducerOptions } from "#labs/02-ordered-messages/provided.ts";
import { openProducerWith, producerParts } from "../../solution/producer-with.ts";
import { oneAtATime, type ProducerLink, type QueueStream, sendOnce, storedAt } from "../../solution/queue-stream.ts";
import { retryUntil } from "../../solution/retry.ts";

function openStream(link: ProducerLink, queueId: number): QueueStream {
  let nextSequence = 0;
  const inCallOrder = oneAtATime();
  return (key, body) =>
    inCallOrder(() =>
      retryUntil(link.env, async () => {
        // The bug: a fresh number per attempt. A retry of a message that landed looks like a new one.
        const reply = await sendOnce(link, { queueId, sequence: nextSequence++, key, body });
        if (reply?.kind === "outOfOrder") nextSequence = reply.expected; // "resynchronise"
        return storedAt(queueId, reply);
      }),
    );
}

export function openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer> {
  return openProducerWith({ ...producerParts, openStream }, env, options);
}
