/**
 * Bug zoo, lab 02: A QUEUE LOCK TAKEN ONCE AND NEVER RENEWED.
 *
 * The reference consumer with two parts replaced, the two halves of one idea: a lock is a mutex. It
 * asks for the lock of a queue only when the queue is newly assigned to it, and from then on treats
 * it as its own until it unlocks it: no renewals, and a lock with no end, so the session stays
 * active for as long as the queue is assigned, whatever the lease.
 *
 * Why it is tempting: it reads like a mutex: lock, work, unlock. Nothing fails at first. The
 * broker's lock is a lease, though: it runs out `lockLeaseMs` after it was granted unless renewed.
 * While nobody else wants the queue, nobody notices. The first time the group changes (a member
 * joins, leaves, or its heartbeats are lost for a moment), another consumer asks for the queue,
 * gets it, since the lease ran out long ago, and starts on it while this one carries on.
 *
 * What they do instead: RocketMQ's consumers renew every lock they hold every 20 s (lockAll, from
 * RebalanceService and ConsumeMessageOrderlyService's scheduled task), the broker lets a lock lapse
 * after 60 s without renewal (RebalanceLockManager, rocketmq.broker.rebalance.lockMaxLiveTime), and
 * the client stops consuming a queue whose last successful lock is older than 30 s
 * (ProcessQueue.isLockExpired). A lease is only safe while it is renewed and checked.
 */
import type { Env } from "#lab";
import { type ConsumerOptions, type OrderlyConsumer, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { type Consumer, consumerParts, openConsumerWith } from "../../solution/consumer-with.ts";

/** The bug: only queues not held yet are locked; the ones held are never renewed. */
async function lockQueues(consumer: Consumer, wanted: ReadonlySet<number>): Promise<void> {
  const { client, options, held } = consumer;
  const toLock = [...wanted].filter((queueId) => !held.has(queueId));
  if (toLock.length === 0) return;
  const { group, consumerId } = options;
  const locked = await client.call({ type: "lock", group, topic: TOPIC, consumerId, queueIds: toLock });
  if (locked.kind !== "ok" || locked.reply.kind !== "ok") return;
  for (const grant of locked.reply.granted) consumer.start(grant.queueId, grant.token, leaseEnd());
}

/** The bug: a lock, once granted, is ours until we unlock it. */
function leaseEnd(): number {
  return Number.POSITIVE_INFINITY;
}

export function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  return openConsumerWith({ ...consumerParts, lockQueues, leaseEnd }, env, options);
}
