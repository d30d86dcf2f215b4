/**
 * Bug zoo, lab 04: THE ORDER ID AND THE STEP GLUED TOGETHER.
 *
 * The right fields, joined without a separator: order o1's 12th step and order o11's 2nd both
 * read "o112", so one of them is skipped as a duplicate of the other. Every key made of several
 * fields needs a separator that no field can contain (or a length prefix, or JSON).
 */
import type { Delivery } from "#labs/04-idempotent-consumption/provided.ts";

export function businessKey(delivery: Delivery): string {
  return delivery.event.orderId + delivery.event.step;
}
