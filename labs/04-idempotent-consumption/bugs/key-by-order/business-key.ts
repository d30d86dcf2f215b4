/**
 * Bug zoo, lab 04: THE ORDER ID AS THE BUSINESS KEY.
 *
 * "One order, one message." But an order has a story: a charge, a refund, a charge again,
 * shipping. Keyed by order alone, every step after the first finds the key claimed and is skipped
 * as a duplicate: its effect is lost, and the consumer acknowledges it all the same.
 */
import type { Delivery } from "#labs/04-idempotent-consumption/provided.ts";

export function businessKey(delivery: Delivery): string {
  return delivery.event.orderId;
}
