/**
 * The orderly consumer, assembled from its parts (consumer.ts explains the design). The loop here
 * is the same for every consumer: heartbeats, and every rebalance interval the member list, this
 * consumer's share of the queues, the release of the queues it should no longer have, and the lock
 * of those it should. Three decisions are parts, and a bug-zoo entry replaces one at a time:
 *   release      how a queue is let go: stop its worker, wait for its message in flight, unlock;
 *   lockQueues   what a lock reply means: which queues to start, renew, or stop (lock-queues.ts);
 *   leaseEnd     until when, by this node's clock, a granted lock may be used (lease.ts).
 */
import type { Env } from "#lab";
import {
  allocateAveragely,
  type ConsumerOptions,
  type LockGrant,
  type OrderlyConsumer,
  type QueueSession,
  TIMING,
  TOPIC,
} from "#labs/02-ordered-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import { leaseEndFromRequest } from "./lease.ts";
import { lockAndRenew } from "./lock-queues.ts";

/** A queue this consumer holds, and its worker. */
export interface Held {
  token: number;
  /** This node's clock: the end of the lock's lease, as far as this node can tell, minus a margin. */
  activeUntil: number;
  /** Set when the worker must stop (the queue is being released, or the lock was lost). */
  stopping: boolean;
  /** The worker's promise: settled once its message in flight is done. */
  done: Promise<void>;
}

/** What the parts get to work with: one consumer's state. */
export interface Consumer {
  readonly env: Env;
  readonly client: BrokerClient;
  readonly options: ConsumerOptions;
  readonly held: Map<number, Held>;
  /** Starts `options.worker` on a newly granted queue. */
  start(queueId: number, token: number, activeUntil: number): void;
  readonly parts: ConsumerParts;
}

export interface ConsumerParts {
  release(consumer: Consumer, queueId: number, entry: Held): Promise<void>;
  lockQueues(consumer: Consumer, wanted: ReadonlySet<number>): Promise<void>;
  leaseEnd(sentAtMs: number, grant: LockGrant): number;
}

export const consumerParts: ConsumerParts = {
  release: drainThenUnlock,
  lockQueues: lockAndRenew,
  leaseEnd: leaseEndFromRequest,
};

export async function openConsumerWith(
  parts: ConsumerParts,
  env: Env,
  options: ConsumerOptions,
): Promise<OrderlyConsumer> {
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

  const consumer: Consumer = {
    env,
    client,
    options,
    held,
    parts,
    start(queueId, token, activeUntil) {
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
    },
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
    const unwanted = [...held].filter(([queueId]) => !wanted.has(queueId));
    await Promise.all(unwanted.map(([queueId, entry]) => parts.release(consumer, queueId, entry)));
    if (wanted.size > 0 && !closed) await parts.lockQueues(consumer, wanted);
  };

  // One rebalance at a time, every interval, for as long as the consumer runs.
  let running: Promise<void> | null = null;
  const rebalances = env.clock.setInterval(TIMING.rebalanceIntervalMs, () => {
    if (running !== null || closed) return;
    running = rebalance().finally(() => {
      running = null;
    });
  });

  return {
    async close() {
      closed = true;
      heartbeats.cancel();
      rebalances.cancel();
      // Every worker sees `closed` and returns, forgetting its queue: take the list first. A round
      // under way may still start a worker on a queue it was granted: add those once it is over.
      const holding = new Map(held);
      await running;
      for (const [queueId, entry] of held) holding.set(queueId, entry);
      await Promise.all([...holding].map(([queueId, entry]) => parts.release(consumer, queueId, entry)));
    },
  };
}

/** Stops a queue's worker, waits for its message in flight, and only then releases the lock. */
async function drainThenUnlock(consumer: Consumer, queueId: number, entry: Held): Promise<void> {
  const { client, held, options } = consumer;
  entry.stopping = true;
  await entry.done;
  // -- the worker has returned: nothing of this queue is in flight here any more.
  if (held.get(queueId) === entry) held.delete(queueId);
  await client.call({ type: "unlock", group: options.group, topic: TOPIC, consumerId: options.consumerId, queueId });
}
