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
 *
 * The producer is assembled from three parts, so that each decision sits in one place (and the bug
 * zoo can get exactly one of them wrong): `queueOf` (routing.ts: the key, and only the key, picks
 * the queue), `openStream` and `deliver` (queue-stream.ts: numbering at the call, one message of a
 * queue in flight, retries with the same number). producer-with.ts puts them together: connect
 * (`route`, `initProducer`, each retried until the broker answers), then hand each send to its
 * queue's stream.
 */
import type { Env } from "#lab";
import type { OrderedProducer, ProducerOptions } from "#labs/02-ordered-messages/provided.ts";
import { openProducerWith, producerParts } from "./producer-with.ts";

export function openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer> {
  return openProducerWith(producerParts, env, options);
}
