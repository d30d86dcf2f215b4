/**
 * Lab 02, L2.A, a correct alternative: Kafka's partitioner (murmur2 of the key's UTF-8 bytes, sign
 * bit cleared, modulo the queue count) instead of Java's String.hashCode.
 *
 * Written from the stub's contract and the guide only, to prove that the grader accepts any
 * deterministic hash, not just the one the reference uses. Why it is correct: the answer depends on
 * the two arguments only (no state, no randomness), `& 0x7fffffff` makes the hash non-negative so
 * `%` gives a whole number in [0, queueCount), and murmur2 mixes every byte of the key, so keys that
 * differ only in their last digits ("order-100007", "order-100014") spread over all the queues,
 * whatever the queue count (a power of two or not).
 *
 * The same function as Kafka's `Utils.murmur2` and `BuiltInPartitioner.partitionForKey`
 * (clients/src/main/java/org/apache/kafka/common/utils/Utils.java), so a key lands in the partition
 * a Kafka producer would choose for it.
 */
import { utf8 } from "#lab";

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** The queue for a message with this sharding key: `toPositive(murmur2(utf8(key))) % queueCount`. */
export function selectQueue(shardingKey: string, queueCount: number): number {
  if (!Number.isInteger(queueCount) || queueCount < 1) throw new RangeError(`queueCount ${queueCount} is not >= 1`);
  return (murmur2(utf8(shardingKey)) & 0x7fffffff) % queueCount;
}

/** Kafka's murmur2, in 32-bit integer arithmetic (`Math.imul` multiplies as Java's `int` does). */
function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = (data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // The tail, as Java's fall-through switch on `length % 4` does it.
  const tail = length % 4;
  if (tail >= 3) h ^= (data[whole + 2] ?? 0) << 16;
  if (tail >= 2) h ^= (data[whole + 1] ?? 0) << 8;
  if (tail >= 1) {
    h ^= data[whole] ?? 0;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}
