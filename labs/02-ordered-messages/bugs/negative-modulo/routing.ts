/**
 * Bug zoo, lab 02: A HASH REDUCED WITH A SIGNED REMAINDER.
 *
 * The right hash (Java's String.hashCode, as RocketMQ uses), reduced with `%` and nothing else.
 * Half of all keys have a negative hash, and in JavaScript, as in Java, the remainder takes the
 * sign of the dividend: `-7 % 4` is `-3`. Those keys get a queue number below zero.
 *
 * Why it is tempting: `hash % queueCount` is the textbook line, and in languages with unsigned
 * integers it is right. Tested with a few friendly keys ("a", "b", "order-1"), whose hashes happen
 * to be positive, it looks fine; the first long key overflows 32 bits into the negatives.
 *
 * What they do instead: RocketMQ's SelectMessageQueueByHash takes the remainder and, when it comes
 * out negative, its absolute value (`Math.abs(hashCode % size)`; the absolute value of the hash
 * itself would not do, since `Math.abs(Integer.MIN_VALUE)` is still negative). Kafka's partitioner
 * clears the hash's sign bit first: `Utils.toPositive(murmur2(key)) % numPartitions`. Either way the
 * index is never negative. (This folder holds only routing.ts: the grader takes the reference's
 * other files, and the reference producer routes with this selectQueue.)
 */
import { javaStringHashCode } from "../../solution/java-hash.ts";

export function selectQueue(shardingKey: string, queueCount: number): number {
  return javaStringHashCode(shardingKey) % queueCount; // the bug: negative for a negative hash
}
