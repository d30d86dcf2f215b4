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
import type { OrderedProducer, ProducerOptions } from "#labs/02-ordered-messages/provided.ts";
import { openProducerWith, producerParts } from "../../solution/producer-with.ts";
import { type ProducerLink, type QueueStream, sendOnce, storedAt } from "../../solution/queue-stream.ts";
import { retryUntil } from "../../solution/retry.ts";

/** Kafka's RecordBatch.NO_SEQUENCE: "not idempotent, append whatever arrives". */
const NO_SEQUENCE = -1;

/** The bug: no place in a stream, and no waiting for the previous send of the queue. */
function openStream(link: ProducerLink, queueId: number): QueueStream {
  return (key, body) =>
    retryUntil(link.env, async () =>
      storedAt(queueId, await sendOnce(link, { queueId, sequence: NO_SEQUENCE, key, body })),
    );
}

export function openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer> {
  return openProducerWith({ ...producerParts, openStream }, env, options);
}
