/**
 * L4.A The business key: what makes two deliveries "the same".
 *
 * A duplicate is not "the same message": the broker can hand out one message twice (a crash before
 * the offset commit, a rebalance, a retry), and a producer can publish one operation twice as two
 * messages (its application built the message again: an outbox relay that died before it marked
 * the row sent). The second copy has a new message id (RocketMQ's client makes one per Message
 * object, MessageClientIDSetter), a new offset and a new send time. What stays is the operation the
 * event describes: this order's n-th step. So the key is built from exactly that, and from nothing
 * the envelope or the transport adds.
 *
 * Why not more fields? The kind and the amount do not change on a resend either, so adding them
 * would be harmless here; but a key should say what makes the operation unique, and the step
 * already does. Why not fewer? An order has several operations (charge, refund, charge again):
 * the order id alone, or order and kind, merges two of them, and the second is skipped as a
 * "duplicate": an effect lost.
 */
import type { Delivery } from "#labs/04-idempotent-consumption/provided.ts";

export function businessKey(delivery: Delivery): string {
  const { orderId, step } = delivery.event;
  // The step is a number, so the last "/" separates the two parts unambiguously whatever the order
  // id holds: "o1/12" and "o11/2" stay apart (without a separator both would be "o112").
  return `${orderId}/${step}`;
}
