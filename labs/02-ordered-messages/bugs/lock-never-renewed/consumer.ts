/**
 * Bug zoo, lab 02: A QUEUE LOCK TAKEN ONCE AND NEVER RENEWED.
 *
 * The reference consumer, except that it asks for the lock of a queue only when the queue is newly
 * assigned to it, and from then on treats it as its own until it unlocks it: no renewals, and a
 * session that stays active for as long as the queue is assigned, whatever the lease.
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
import {
  allocateAveragely,
  type ConsumerOptions,
  type QueueSession,
  TIMING,
  TOPIC,
} from "#labs/02-ordered-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";

export interface OrderlyConsumer {
  /** Stops every worker, waits for messages in flight, and unlocks the queues. */
  close(): Promise<void>;
}

interface Held {
  token: number;
  /** This node's clock: the lease, minus the margin, from when the lock request was sent. */
  activeUntil: number;
  stopping: boolean;
  done: Promise<void>;
}

export async function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  const client = new BrokerClient(env.net, options.brokerId, TIMING.requestTimeoutMs);
  const { group, consumerId } = options;
  const held = new Map<number, Held>();
  let closed = false;
  let queueCount: number | null = null;

  const heartbeat = (): void => {
    void client.call({ type: "heartbeat", group, consumerId });
  };
  heartbeat();
  const heartbeats = env.clock.setInterval(TIMING.heartbeatIntervalMs, heartbeat);

  const start = (queueId: number, token: number, activeUntil: number): void => {
    const entry: Held = { token, activeUntil, stopping: false, done: Promise.resolve() };
    const session: QueueSession = {
      env,
      client,
      group,
      consumerId,
      queueId,
      token,
      handler: options.handler,
      isActive: () => !entry.stopping && !closed, // the bug: the lease's end is never looked at
    };
    entry.done = options.worker(session).finally(() => {
      // The worker ended on its own (fenced, or its lease ran out): forget the queue, so that the
      // next rebalance asks for the lock again and starts a fresh worker if it gets it.
      if (held.get(queueId) === entry) held.delete(queueId);
    });
    held.set(queueId, entry);
  };

  /** Stops a queue's worker, waits for its message in flight, then releases the lock. */
  const release = async (queueId: number, entry: Held): Promise<void> => {
    entry.stopping = true;
    await entry.done;
    if (held.get(queueId) === entry) held.delete(queueId);
    await client.call({ type: "unlock", group, topic: TOPIC, consumerId, queueId });
  };

  const rebalance = async (): Promise<void> => {
    if (queueCount === null) {
      const route = await client.call({ type: "route", topic: TOPIC });
      if (route.kind !== "ok" || route.reply.kind !== "ok") return;
      queueCount = route.reply.queueCount;
    }
    const members = await client.call({ type: "members", group });
    if (members.kind !== "ok") return; // no view of the group this round: keep what we hold
    const wanted = new Set(allocateAveragely(queueCount, members.reply.consumerIds, consumerId));
    await Promise.all(
      [...held].filter(([queueId]) => !wanted.has(queueId)).map(([queueId, entry]) => release(queueId, entry)),
    );
    if (wanted.size === 0 || closed) return;

    // The bug: only queues not held yet are locked; the ones held are never renewed.
    const toLock = [...wanted].filter((queueId) => !held.has(queueId));
    if (toLock.length === 0) return;
    const sentAt = env.clock.now();
    const locked = await client.call({ type: "lock", group, topic: TOPIC, consumerId, queueIds: toLock });
    if (locked.kind !== "ok" || locked.reply.kind !== "ok") return;
    const granted = new Map(locked.reply.granted.map((g) => [g.queueId, g]));
    for (const queueId of toLock) {
      const grant = granted.get(queueId);
      const entry = held.get(queueId);
      if (grant === undefined) {
        // Someone else holds it (their lease has not run out yet): we must not touch it.
        if (entry !== undefined) entry.stopping = true;
        continue;
      }
      const activeUntil = sentAt + grant.leaseMs - TIMING.lockSafetyMarginMs;
      if (entry !== undefined && entry.token === grant.token && !entry.stopping) {
        entry.activeUntil = activeUntil; // renewed
      } else if (entry === undefined) {
        start(queueId, grant.token, activeUntil);
      } else {
        // The lock changed hands and came back with a new token: the old worker is stale.
        entry.stopping = true;
      }
    }
  };

  // One rebalance at a time, every interval, for as long as the consumer runs.
  let running = false;
  const rebalances = env.clock.setInterval(TIMING.rebalanceIntervalMs, () => {
    if (running || closed) return;
    running = true;
    void rebalance().finally(() => {
      running = false;
    });
  });

  return {
    async close() {
      closed = true;
      heartbeats.cancel();
      rebalances.cancel();
      await Promise.all([...held].map(([queueId, entry]) => release(queueId, entry)));
    },
  };
}
