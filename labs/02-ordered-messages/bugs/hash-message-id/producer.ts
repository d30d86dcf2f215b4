/**
 * Bug zoo, lab 02: ROUTING BY THE MESSAGE ID INSTEAD OF THE SHARDING KEY.
 *
 * The reference producer with one part replaced: the choice of queue. It hands `selectQueue` the
 * message's body (here, its unique id) rather than its key. selectQueue itself is right; it is
 * given the wrong argument.
 *
 * Why it is tempting: the message id is always there, it is unique, and hashing it spreads the load
 * over the queues perfectly, which is exactly what a load-balancing instinct wants. In RocketMQ the
 * queue selector receives an `arg` of your choosing (`send(msg, selector, arg)`), and it is easy to
 * pass the message's own id or its `keys` property (meant for lookup, often unique per message).
 * But a unique value scatters one order's messages over all the queues, and nothing orders one
 * queue against another: order is gone before any consumer sees a message.
 *
 * What they do instead: RocketMQ's SelectMessageQueueByHash hashes the sharding key you pass as
 * `arg` (the order id), and Kafka's partitioner hashes the record's key; the key names the stream
 * whose order matters, so it, and only it, must choose the queue.
 */
import type { Env } from "#lab";
import type { OrderedProducer, ProducerOptions } from "#labs/02-ordered-messages/provided.ts";
import { openProducerWith, producerParts } from "../../solution/producer-with.ts";
import { selectQueue } from "../../solution/routing.ts";

/** The bug: the queue comes from the message id, unique per message, not from its key. */
function queueOf(_key: string, body: string, queueCount: number): number {
  return selectQueue(body, queueCount);
}

export function openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer> {
  return openProducerWith({ ...producerParts, queueOf }, env, options);
}
