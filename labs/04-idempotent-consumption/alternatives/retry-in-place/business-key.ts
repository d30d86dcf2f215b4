/**
 * Alternative business key: the operation's two fields as a JSON array. JSON quotes the order id
 * and keeps the step a number, so no two (order, step) pairs can print alike, whatever characters
 * an order id holds. (The reference joins them with "/" and relies on the step being a number.)
 */
import type { Delivery } from "#labs/04-idempotent-consumption/provided.ts";

export function businessKey(delivery: Delivery): string {
  return JSON.stringify([delivery.event.orderId, delivery.event.step]);
}
