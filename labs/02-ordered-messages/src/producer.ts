/**
 * Lab 02, L2.B: a producer that retries without reordering or duplicating. This is your file.
 *
 * A send that times out has an unknown outcome: the broker may have stored the message (and the
 * reply was lost) or not. You must retry, or the message may be lost; but a retry of a message that
 * did land is a duplicate, and a retry that lands after a later message of the same key is a
 * reorder. The broker helps, as Kafka's does for its idempotent producer: see the guide's section
 * on `initProducer` and the `send` request's `producerId` and `sequence`.
 */
import { type Env, NotImplemented } from "#lab";
import type { OrderedProducer, ProducerOptions } from "#labs/02-ordered-messages/provided.ts";

/**
 * Opens a producer for the topic `TOPIC` (see provided.ts) on the broker `options.brokerId`.
 *
 * Contract of `openProducer`: resolves once the producer can send: it knows the topic's queue
 * count (the `route` request) and has a producer id (`initProducer`). Retries both until the broker
 * answers. Keeps all state in the object it returns: one process may open several producers.
 *
 * Contract of the returned `send(key, body)`: resolves once the broker has stored the message,
 * durably, exactly once, with where it is. Retries on its own for as long as it takes (a partition
 * may last a while); never gives up (never rejects) while this process lives. Messages of one key
 * are stored in the order `send` was called, even when the caller does not wait for one send before
 * calling the next. All messages of one key go to one queue: route with your `selectQueue`.
 *
 * Implementation hints:
 * - A message's place in its stream is decided when `send` is called, not when it is retried.
 * - What does the broker answer to a message it already has? To one that skips ahead?
 * - How many messages of one queue may be in flight at once, if you want to keep it simple?
 *
 * @param env this incarnation's environment: env.net for requests (use BrokerClient), env.clock.
 * @param options the broker to send to.
 */
export async function openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer> {
  // YOUR CODE HERE (L2.B)
  void env;
  void options;
  throw new NotImplemented("L2.B");
}
