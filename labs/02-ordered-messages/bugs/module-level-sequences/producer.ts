/**
 * Bug zoo, lab 02: SEQUENCE NUMBERS KEPT AT MODULE LEVEL.
 *
 * The reference producer with one part replaced: the queue streams. They number messages from a
 * table kept in a module-level variable, `nextSequence` (queue -> next number), instead of inside
 * the producer. With one producer per process nothing is wrong: a restarted process loads the
 * module afresh, and the table starts empty, as the new producer id needs. Open two producers in
 * one process, though, and they share the table: each has its own producer id, so the broker
 * expects 0, 1, 2, ... from each, but they take turns drawing numbers. Producer A sends 0 and 2,
 * producer B sends 1: the broker answers B "out of order, expected 0" forever, and A's 2 likewise.
 *
 * Why it is tempting: "the sequence table" sounds like a property of the topic, there is one topic,
 * and a module-level Map is the shortest way to keep it. In tests that open one producer, it works.
 *
 * What they do instead: Kafka keeps sequence numbers in the producer's own TransactionManager
 * (per partition, per producer id), and a second KafkaProducer in the same JVM has its own.
 * State that belongs to an object lives in the object.
 */
import type { Env } from "#lab";
import type { OrderedProducer, ProducerOptions } from "#labs/02-ordered-messages/provided.ts";
import { openProducerWith, producerParts } from "../../solution/producer-with.ts";
import { type Deliver, oneAtATime, type ProducerLink, type QueueStream } from "../../solution/queue-stream.ts";

/** The bug: one table of sequence numbers for the whole process, whatever producer sends. */
const nextSequence = new Map<number, number>();

function openStream(link: ProducerLink, queueId: number, deliver: Deliver): QueueStream {
  const inCallOrder = oneAtATime();
  return (key, body) => {
    const sequence = nextSequence.get(queueId) ?? 0;
    nextSequence.set(queueId, sequence + 1);
    return inCallOrder(() => deliver(link, { queueId, sequence, key, body }));
  };
}

export function openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer> {
  return openProducerWith({ ...producerParts, openStream }, env, options);
}
