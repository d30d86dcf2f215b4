/**
 * Lab 04, L4.A: the business key. This is your file.
 *
 * A consumer that deduplicates must first say what "the same message" means. Not the message id:
 * RocketMQ's client makes a new one for every send (MessageClientIDSetter), so a producer that
 * resends after a lost reply sends the same operation under a new id, and a transactional message
 * reaches consumers with an id of its own. Not the offset either: a resend lands at a new one.
 * The operation itself has a name, in the event.
 */
import { NotImplemented } from "#lab";
import type { Delivery } from "#labs/04-idempotent-consumption/provided.ts";

/**
 * The key that names the business operation a delivery carries, so that every copy of one
 * operation has the same key and two different operations never share one.
 *
 * Contract: a pure function of `delivery.event`'s identifying fields. Two deliveries of the same
 * operation (a redelivery of one message, or a resend of the same event under a new message id,
 * at a new offset, with a new `sentAtMs`) give the same key; two operations (another order, or
 * another step of the same order, even of the same kind) give different keys. Any string without
 * a NUL character.
 *
 * Hints: what does a resend keep, and what does it change? Read the event, not the envelope.
 */
export function businessKey(delivery: Delivery): string {
  // YOUR CODE HERE (L4.A)
  void delivery;
  throw new NotImplemented("L4.A");
}
