/**
 * L2.A Routing: which queue a message goes to.
 *
 * Order exists only inside one queue: a consumer reads a queue in offset order, and nothing orders
 * two queues against each other. So "the messages of one order stay in order" means "the messages
 * of one key go to one queue", every time: across retries, across producer restarts, across
 * producers. The queue must be a function of the key and the queue count, and of nothing else:
 * not the message id (unique per message: it scatters a key across queues), not a counter (round
 * robin), not randomness, not the producer instance.
 *
 * RocketMQ's SelectMessageQueueByHash (client/.../producer/selector/SelectMessageQueueByHash.java)
 * takes the key's Java `String.hashCode()` modulo the queue count and, if that remainder is
 * negative, its absolute value: `Math.abs(hash % n)`. (The other order, `Math.abs(hash) % n`, has a
 * famous corner: `Math.abs(Integer.MIN_VALUE)` is still negative.) Kafka's default partitioner
 * hashes the key's bytes with murmur2 and masks the sign bit (`Utils.toPositive(Utils.murmur2(...))
 * % numPartitions` in clients/.../producer/internals/BuiltInPartitioner.java). Both share the limit
 * this lab's guide discusses: change the queue count, and keys move, and order across the change is
 * lost (which is why RocketMQ and Kafka both tell you not to resize ordered topics casually).
 *
 * This version computes Java's `String.hashCode` exactly and brings a negative remainder into range
 * by adding n rather than negating it: the same queue as RocketMQ's for every key whose hash is not
 * negative, another (equally valid, equally spread) one for the rest. What matters for order is only
 * that every producer uses the same function.
 */
import { javaStringHashCode } from "./java-hash.ts";

export function selectQueue(shardingKey: string, queueCount: number): number {
  if (!Number.isInteger(queueCount) || queueCount < 1)
    throw new RangeError(`queueCount must be >= 1, not ${queueCount}`);
  return nonNegativeModulo(javaStringHashCode(shardingKey), queueCount);
}

/** The remainder brought into [0, modulus): JavaScript's `%` keeps the dividend's sign. */
function nonNegativeModulo(value: number, modulus: number): number {
  const r = value % modulus;
  return r < 0 ? r + modulus : r;
}
