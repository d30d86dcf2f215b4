/**
 * Bug zoo, lab 02: UNLOCKING A QUEUE WHILE ITS MESSAGE IS STILL IN FLIGHT.
 *
 * The reference consumer, except for how it lets go of a queue it should no longer have: it tells
 * the worker to stop and unlocks the queue at once, without waiting for the worker to finish the
 * message it is processing. The worker does stop, after that message.
 *
 * Why it is tempting: the rebalance should be quick, the worker checks its flag before every
 * message anyway, and waiting for a slow handler inside the rebalance loop feels like the thing to
 * avoid. The code reads as "stop, then unlock", which sounds like the right order.
 *
 * What breaks it: between the unlock and the end of the old worker's message, the queue is free.
 * The consumer it was handed to locks it, reads the committed offset (which does not cover the
 * message in flight yet) and starts on that same message, or the next one of the same key, while
 * the old owner is still working on it: two consumers on one queue.
 *
 * What they do instead: RocketMQ's RebalancePushImpl.removeUnnecessaryMessageQueue, for an orderly
 * consumer, first takes the ProcessQueue's consume lock (held for the whole time a message is being
 * consumed) with a timeout, and unlocks the queue at the broker only once it has it; if it cannot
 * take it, it keeps the queue and tries at the next rebalance (tryRemoveOrderMessageQueue). Kafka's
 * cooperative rebalancing likewise revokes a partition only after `onPartitionsRevoked` returns.
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

  /** Stops a queue's worker and releases the lock. */
  const release = async (queueId: number, entry: Held): Promise<void> => {
    entry.stopping = true;
    if (held.get(queueId) === entry) held.delete(queueId);
    // The bug: unlocked now, while the worker may still be processing a message.
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
