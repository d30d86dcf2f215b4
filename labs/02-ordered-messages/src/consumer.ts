/**
 * Lab 02, L2.D (and L2.E): an orderly consumer in a group. This is your file.
 *
 * The consumers of a group share the topic's queues. Yours must find out who is in the group,
 * work out its own queues, lock them at the broker, keep the locks alive, run a worker on each, and
 * let go of queues it no longer owns without ever letting two consumers work on one queue at once.
 */
import { type Env, NotImplemented } from "#lab";
import type { ConsumerOptions, OrderlyConsumer } from "#labs/02-ordered-messages/provided.ts";

/**
 * Starts a consumer of the group `options.group` on topic `TOPIC`; resolves once it is running.
 *
 * Contract:
 * - stays in the group: a `heartbeat` every `TIMING.heartbeatIntervalMs`;
 * - every `TIMING.rebalanceIntervalMs`: gets the `members`, computes its queues with
 *   `allocateAveragely`, and
 *     - for each queue it should no longer have: stops its worker, waits until the worker has
 *       returned (its message in flight is done), and only then `unlock`s it;
 *     - `lock`s all the queues it should have (this also renews the ones it holds) and starts
 *       `options.worker` on each newly granted queue with a `QueueSession` built from the grant;
 * - a session's `isActive()` is false once the worker should stop: the queue is being dropped, or
 *   (L2.E) the lease may have run out by this node's clock, counting from when the lock request was
 *   sent and ending `TIMING.lockSafetyMarginMs` early;
 * - if a renewal comes back without a queue it holds, or with a different token, the old worker
 *   must stop.
 *
 * Implementation hints:
 * - Keep, per held queue: its token, until when it may be used, and the worker's promise.
 * - What can happen between "unlock" and "the worker has finished its message"?
 * - A lease is measured on the broker's clock. Which of your own timestamps can only make your
 *   estimate of it too short, never too long?
 *
 * @param env this incarnation's environment.
 * @param options the group, the broker, your consumer id, the handler and the worker to run.
 */
export async function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  // YOUR CODE HERE (L2.D, L2.E)
  void env;
  void options;
  throw new NotImplemented("L2.D");
}
