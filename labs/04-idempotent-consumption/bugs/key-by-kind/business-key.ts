/**
 * Bug zoo, lab 04: ORDER AND KIND AS THE BUSINESS KEY.
 *
 * "An order is charged once and shipped once: order plus kind is specific enough." Until an order
 * is charged, refunded and charged again: the second charge finds `o7/charge` claimed and is
 * skipped. The step number is what tells two operations of one kind apart.
 */
import type { Delivery } from "#labs/04-idempotent-consumption/provided.ts";

export function businessKey(delivery: Delivery): string {
  return `${delivery.event.orderId}/${delivery.event.kind}`;
}
