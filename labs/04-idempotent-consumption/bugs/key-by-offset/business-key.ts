/**
 * Bug zoo, lab 04: THE QUEUE POSITION AS THE BUSINESS KEY.
 *
 * "Queue and offset name one stored message, and a redelivery comes from the same place." A
 * resend is stored at a new offset, so its key is new and its effect applied again; and a message
 * stored twice by a retried send sits at two offsets.
 */
import type { Delivery } from "#labs/04-idempotent-consumption/provided.ts";

export function businessKey(delivery: Delivery): string {
  return `${delivery.queueId}:${delivery.queueOffset}`;
}
