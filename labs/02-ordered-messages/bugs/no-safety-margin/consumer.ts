/**
 * Bug zoo, lab 02: A LEASE USED TO ITS LAST MILLISECOND.
 *
 * The reference consumer with one part replaced: the lease estimate. It counts from when the lock
 * request was sent, as it should, but keeps the whole lease: a worker may start a message until the
 * very moment the broker's lease would end, by this node's clock.
 *
 * Why it is tempting: the estimate already errs on the safe side (the broker granted the lock after
 * the request was sent, so its lease ends later than this one), and throwing away a third of every
 * lease feels wasteful. But the check happens when a message *starts*; the message then takes its
 * time (up to 150 ms here, plus the write), and its effect lands after the lease has ended. If the
 * consumer could not renew (a partition from the broker), another consumer may own the queue by then.
 *
 * What they do instead: RocketMQ's client treats its lock as expired after 30 s
 * (`ProcessQueue.isLockExpired`, `rocketmq.client.rebalance.lockMaxLiveTime`) while the broker keeps
 * it for 60 s: half the lease is margin, for the work in flight and for clocks. A margin must cover
 * the longest message a worker may start, and the clock's possible drift over the lease.
 */
import type { Env } from "#lab";
import type { ConsumerOptions, LockGrant, OrderlyConsumer } from "#labs/02-ordered-messages/provided.ts";
import { consumerParts, openConsumerWith } from "../../solution/consumer-with.ts";

/** The bug: the whole lease, no margin for the message started just before its end. */
function leaseEnd(sentAtMs: number, grant: LockGrant): number {
  return sentAtMs + grant.leaseMs;
}

export function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  return openConsumerWith({ ...consumerParts, leaseEnd }, env, options);
}
