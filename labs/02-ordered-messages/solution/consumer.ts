/**
 * L2.D An orderly consumer in a group: rebalancing with queue locks (and, for L2.E, leases that
 * end early enough).
 *
 * The consumers of a group share a topic's queues. Each one, every rebalance interval:
 *   1. asks the broker who is in the group, and computes its share of the queues (every member
 *      computes the same split from the same sorted list);
 *   2. for a queue it should no longer have: stops its worker, waits for the message in flight to
 *      finish, and only then unlocks it. Unlock first, and the next owner can start the queue's
 *      next message while this one is still working on the previous: two messages of a key at once;
 *   3. locks (or renews) every queue it should have, and starts a worker on each newly granted one.
 * Membership views disagree for a while after any change, so two consumers may both want a queue;
 * the broker's lock decides. That is RocketMQ's RebalancePushImpl with an orderly listener:
 * lockAll every 20 s, and removeUnnecessaryMessageQueue that unlocks only after taking the queue's
 * consume lock (client/.../consumer/RebalancePushImpl.java, ProcessQueue.java).
 *
 * L2.E: a lease is measured on the broker's clock, and this node can only estimate it with its
 * own. The estimate starts when the lock *request was sent* (the broker granted it later, so the
 * lease ends later than we think, never earlier) and stops a safety margin before the lease would
 * end, to cover drift. A worker checks it before each message. That is as far as a lease goes: it
 * cannot stop a node that freezes (a GC pause) between its check and its write, nor one whose
 * clock jumps. The fencing token does: the worker hands it to every effect and commit, and the
 * stale owner's writes are refused (see queue-worker.ts).
 *
 * The consumer is assembled in consumer-with.ts: the rebalance loop, and three parts the bug zoo
 * replaces one at a time: `release` (drain, then unlock; the line after which nothing of the queue
 * is in flight is marked), `lockQueues` (lock-queues.ts: what a lock reply means), and `leaseEnd`
 * (lease.ts: the estimate of the broker's lease on this node's clock).
 */
import type { Env } from "#lab";
import type { ConsumerOptions, OrderlyConsumer } from "#labs/02-ordered-messages/provided.ts";
import { consumerParts, openConsumerWith } from "./consumer-with.ts";

export function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  return openConsumerWith(consumerParts, env, options);
}
