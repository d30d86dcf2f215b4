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
      isActive: () => !entry.stopping && !closed && env.clock.now() < entry.activeUntil,
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

    const sentAt = env.clock.now();
    const locked = await client.call({ type: "lock", group, topic: TOPIC, consumerId, queueIds: [...wanted] });
    if (locked.kind !== "ok" || locked.reply.kind !== "ok") return;
    const granted = new Map(locked.reply.granted.map((g) => [g.queueId, g]));
    for (const queueId of wanted) {
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
