/**
 * Lab 02, L2.D (and L2.E), a correct alternative: releases drain in the background while their locks
 * are still renewed, and the lease estimate also ends when the clock runs backwards.
 *
 * Written from the stub's contract and the guide only. How it differs, and why it is correct:
 *
 * - Two loops on the node's clock, neither waiting for the other: heartbeats every
 *   `heartbeatIntervalMs` (sent without waiting for the answer), and a rebalance round, then a
 *   sleep of `rebalanceIntervalMs`, repeated. A round never waits for a worker to drain, so a slow
 *   message in one queue cannot delay the renewal of the others.
 * - Dropping a queue: its session turns inactive at once, and a background task waits for the
 *   worker to return and only then unlocks. Until the worker has returned, the queue stays in every
 *   lock request, so its lease is renewed while its last message is in flight (RocketMQ's
 *   `lockAll` also renews every queue in its process-queue table); the new owner cannot get it
 *   before the old worker is done, lease permitting. After the worker has returned the queue leaves
 *   the lock requests, then the unlock is sent.
 * - A grant for a queue this consumer neither wants nor runs (a lock request that crossed the unlock
 *   on the network, or one from a round whose allocation has changed since) is unlocked straight
 *   away: there is no worker on it, so nothing is in flight.
 * - Lease estimate: from the clock reading taken just before the lock request was sent (it can only
 *   be earlier than the broker's grant), plus `leaseMs`, minus `lockSafetyMarginMs`. Besides, a
 *   session is inactive whenever the clock reads earlier than that send time: a clock that jumped
 *   backwards would otherwise stretch the estimate by the size of the jump.
 * - A renewal that omits a queue, or grants it under another token, stops that queue's worker. The
 *   queue is forgotten once the worker has returned, and the next round that is granted it starts a
 *   new worker under the token of that grant. A worker that returns on its own (fenced, or its
 *   lease estimate ran out) is forgotten the same way. So at most one worker per queue runs in this
 *   consumer, always under the token its session was built with.
 * - A session's `isActive()`, once false, stays false (the estimate ran out, the queue was dropped
 *   or lost): its worker must return, and a later renewal starts a new worker, not the old one again.
 * - close(): stops every worker, waits for all of them (and for the background releases), then
 *   unlocks what it still holds, up to `UNLOCK_ATTEMPTS_MAX` attempts each (a lost unlock only
 *   delays the next owner by a lease).
 */
import type { Env } from "#lab";
import {
  allocateAveragely,
  type ConsumerOptions,
  type OrderlyConsumer,
  TIMING,
  TOPIC,
} from "#labs/02-ordered-messages/provided.ts";
import type { LockGrant } from "#labs/shared/broker/protocol.ts";
import { joinGroup } from "../broker-requests.ts";

/** One queue this consumer has a worker on. */
interface Held {
  queueId: number;
  token: number;
  /** Clock reading just before the lock request that granted or last renewed the lease. */
  requestedAtMs: number;
  /** Until when (this node's clock) the lease may be used. */
  usableUntilMs: number;
  /** Why the worker must stop, once it must. */
  stop: "dropped" | "lost" | "expired" | "closing" | undefined;
  worker: Promise<void>;
}

/** Pause between `route` attempts at open. */
const ROUTE_PAUSE_MS = 10;
/** Unlock attempts without an answer before leaving the lock to lapse (a lease, at most). */
const UNLOCK_ATTEMPTS_MAX = 3;

export async function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  const member = await joinGroup(env, options, ROUTE_PAUSE_MS);
  const { client, queueCount: queues, heartbeats } = member;
  const { group, consumerId } = options;
  const held = new Map<number, Held>();
  /** Background releases and unlocks, for close() to wait on. */
  const releases = new Set<Promise<void>>();
  /** Queues whose unlock has not been answered yet. */
  const unlocking = new Set<number>();
  let closed = false;

  /** Once false, false for good: a worker told to stop must not be told to go on. */
  function isUsable(entry: Held): boolean {
    const now = env.clock.now();
    if (entry.stop === undefined && (now < entry.requestedAtMs || now >= entry.usableUntilMs)) entry.stop = "expired";
    return entry.stop === undefined;
  }

  function startWorker(grant: LockGrant, requestedAtMs: number): void {
    const entry: Held = {
      queueId: grant.queueId,
      token: grant.token,
      requestedAtMs,
      usableUntilMs: requestedAtMs + grant.leaseMs - TIMING.lockSafetyMarginMs,
      stop: undefined,
      worker: Promise.resolve(),
    };
    const session = member.session(grant.queueId, grant.token, () => isUsable(entry));
    held.set(grant.queueId, entry);
    env.log.info({ queueId: grant.queueId, token: grant.token }, "locked; worker starts");
    entry.worker = options.worker(session).then(
      () => workerReturned(entry),
      (error: unknown) => {
        env.log.error({ queueId: entry.queueId, err: String(error) }, "worker threw");
        workerReturned(entry);
      },
    );
  }

  /** The worker is done: forget the queue, unless a release is about to unlock it. */
  function workerReturned(entry: Held): void {
    if (entry.stop !== "dropped" && held.get(entry.queueId) === entry) held.delete(entry.queueId);
  }

  /** Stops the worker in the background; unlocks once it has returned. Renewed until then. */
  function release(entry: Held): void {
    entry.stop = "dropped";
    track(
      entry.worker.then(async () => {
        unlocking.add(entry.queueId);
        held.delete(entry.queueId);
        await unlock(entry.queueId);
      }),
    );
  }

  /**
   * Unlocks a queue that has no worker here. Until the broker has answered, a grant of that queue
   * may be one the unlock is about to undo, so no worker may start on it (`unlocking`).
   */
  async function unlock(queueId: number): Promise<void> {
    unlocking.add(queueId);
    await member.unlock(queueId, UNLOCK_ATTEMPTS_MAX);
    unlocking.delete(queueId);
    env.log.info({ queueId }, "unlocked");
  }

  function track(task: Promise<void>): void {
    releases.add(task);
    void task.then(() => releases.delete(task));
  }

  async function rebalance(): Promise<void> {
    const members = await client.call({ type: "members", group });
    // Without an answer, keep the current queues (and renew them); the next round will know more.
    const wanted =
      members.kind === "ok"
        ? new Set(allocateAveragely(queues, members.reply.consumerIds, consumerId))
        : new Set([...held.values()].filter((e) => e.stop === undefined).map((e) => e.queueId));
    for (const entry of held.values()) if (!wanted.has(entry.queueId) && entry.stop !== "dropped") release(entry);

    const toLock = [...new Set([...wanted, ...held.keys()])].filter((q) => !unlocking.has(q)).sort((a, b) => a - b);
    if (toLock.length === 0 || closed) return;
    const requestedAtMs = env.clock.now();
    const outcome = await client.call({ type: "lock", group, topic: TOPIC, consumerId, queueIds: toLock });
    if (closed || outcome.kind !== "ok" || outcome.reply.kind !== "ok") return;
    const granted = new Map(outcome.reply.granted.map((grant) => [grant.queueId, grant]));

    for (const entry of held.values()) {
      const grant = granted.get(entry.queueId);
      if (grant !== undefined && grant.token === entry.token) {
        // Renewed. The later of the two estimates: both start before their grant, so both are safe.
        if (requestedAtMs > entry.requestedAtMs) {
          entry.requestedAtMs = requestedAtMs;
          entry.usableUntilMs = requestedAtMs + grant.leaseMs - TIMING.lockSafetyMarginMs;
        }
      } else if (entry.stop === undefined) {
        env.log.warn({ queueId: entry.queueId, token: entry.token, now: grant?.token }, "lock lost");
        entry.stop = "lost";
      }
    }
    for (const grant of granted.values()) {
      if (held.has(grant.queueId) || unlocking.has(grant.queueId)) continue;
      if (wanted.has(grant.queueId)) startWorker(grant, requestedAtMs);
      else track(unlock(grant.queueId));
    }
  }

  const rounds = (async () => {
    while (!closed) {
      await rebalance();
      if (!closed) await env.clock.sleep(TIMING.rebalanceIntervalMs);
    }
  })();

  return {
    async close(): Promise<void> {
      closed = true;
      heartbeats.cancel();
      const entries = [...held.values()];
      for (const entry of entries) entry.stop ??= "closing";
      await rounds;
      await Promise.all(entries.map((entry) => entry.worker));
      await Promise.all([...releases]);
      held.clear();
      await Promise.all(entries.filter((entry) => entry.stop !== "dropped").map((entry) => unlock(entry.queueId)));
    },
  };
}
