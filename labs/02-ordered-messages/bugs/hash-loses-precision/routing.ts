/**
 * Bug zoo, lab 02: A HASH THAT LOSES ITS LOW BITS.
 *
 * Java's String.hashCode, typed into JavaScript as it reads in Java: `h = 31 * h + c`, then a
 * remainder brought into range. In Java `h` is an int, and every step wraps at 32 bits. In
 * JavaScript `h` is a double: it just grows, and past 2^53 (after about 11 characters) a double can
 * no longer hold the low bits, so they become zeros. Every longer key then hashes to a multiple of
 * some power of two, and the remainder by an even queue count lands only in even queues. With 6
 * queues, 400 order ids like "order-100123" (12 characters) fill queues 0, 2 and 4 and never 1, 3
 * or 5; with 8 queues every one of them lands in queue 0. Order is intact and every answer is a
 * valid queue, which is why it slips through a test with short keys.
 *
 * What they do instead: Java's `int` arithmetic wraps by definition; the reference keeps the same
 * arithmetic in 32 bits with `Math.imul(h, 31) + c | 0`; Kafka hashes bytes with murmur2 in 32-bit
 * ints (Utils.murmur2) and RocketMQ calls the JDK's `String.hashCode`.
 */
export function selectQueue(shardingKey: string, queueCount: number): number {
  let hash = 0;
  for (let i = 0; i < shardingKey.length; i++) hash = 31 * hash + shardingKey.charCodeAt(i); // the bug: no | 0
  const r = hash % queueCount;
  return r < 0 ? r + queueCount : r;
}
