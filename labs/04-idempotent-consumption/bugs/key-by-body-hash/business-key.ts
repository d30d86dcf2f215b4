/**
 * Bug zoo, lab 04: A HASH OF THE WHOLE EVENT AS THE BUSINESS KEY.
 *
 * "Same content, same hash: a content hash catches every duplicate, whatever its id." But the
 * event carries the time its copy was built (`sentAtMs`), and a resend is built again: its hash
 * differs, and the charge is applied twice. A key must be made of what names the operation, not
 * of everything that happens to be in the message.
 */
import type { Delivery } from "#labs/04-idempotent-consumption/provided.ts";

/** FNV-1a, 32 bits: a fine hash; the bug is what it hashes. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function businessKey(delivery: Delivery): string {
  return fnv1a(JSON.stringify(delivery.event)).toString(16);
}
