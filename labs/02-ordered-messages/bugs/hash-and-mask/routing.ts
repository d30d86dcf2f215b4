/**
 * Bug zoo, lab 02: A HASH REDUCED WITH A BIT MASK.
 *
 * The right hash (Java's String.hashCode), turned into a queue number with `hash & (n - 1)`. For a
 * power of two that is the remainder, computed fast and never negative; for any other queue count
 * it is not. With 6 queues the mask is 0b101: every key lands in queue 0, 1, 4 or 5, and queues 2
 * and 3 never get a message. With 3 queues, queue 1 gets nothing. Order is intact, and the queue
 * number is always valid, which is what makes it slip through: the broker's load is simply wrong.
 *
 * Why it is tempting: it is the textbook trick of hash tables (Java's HashMap sizes its table to a
 * power of two and indexes with `hash & (length - 1)`), and every topic tried in a test had 4, 8 or
 * 16 queues.
 *
 * What they do instead: RocketMQ's SelectMessageQueueByHash takes a true remainder,
 * `Math.abs(hashCode % size)`, and Kafka's partitioner `toPositive(murmur2(key)) % numPartitions`:
 * a modulo works for every count, and topics have whatever count the operators chose.
 */
import { javaStringHashCode } from "../../solution/java-hash.ts";

export function selectQueue(shardingKey: string, queueCount: number): number {
  return javaStringHashCode(shardingKey) & (queueCount - 1); // the bug: a mask, not a remainder
}
