/**
 * Java's `String.hashCode()`, which RocketMQ's SelectMessageQueueByHash hashes a sharding key with:
 * s[0]*31^(n-1) + ... + s[n-1] over the string's UTF-16 code units, in 32-bit two's complement.
 * Half of all strings hash to a negative number; what routing.ts does with the sign is the lesson.
 * (Kept in a file of its own so that the bug zoo's routing entries share the hash and differ only
 * in how they turn it into a queue number.)
 */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}
