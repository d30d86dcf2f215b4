/**
 * Bug zoo, lab 04: THE MESSAGE ID AS THE BUSINESS KEY.
 *
 * "Every message has a unique id; a duplicate is the same message again." True for a message the
 * broker hands out twice, false for an operation the producer published twice: the second message
 * has a new id, so the inbox has never seen it and the customer is charged again.
 */
import type { Delivery } from "#labs/04-idempotent-consumption/provided.ts";

export function businessKey(delivery: Delivery): string {
  return delivery.messageId;
}
