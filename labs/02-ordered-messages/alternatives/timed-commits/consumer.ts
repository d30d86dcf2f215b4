/**
 * Lab 02, L2.D (and L2.E), a correct alternative: rounds on a fixed timer grid, each round draining
 * the queues it drops before it renews anything.
 *
 * Written from the stub's contract and the guide only; it differs from the `windowed` alternative
 * as much as from the reference. How it works, and why it is correct:
 *
 * - Heartbeats and rounds are both `env.clock.setInterval` timers (`heartbeatIntervalMs`,
 *   `rebalanceIntervalMs`), not sleep loops. A round that is still running when the next tick comes
 *   makes that tick a no-op, so rounds never overlap and start on the timer's grid.
 * - A round: `members`; then, for every queue it should no longer have, stop the worker, wait for it
 *   to return, and unlock, all before anything else (the contract's order, done eagerly); then one
 *   `lock` request for the queues it should have. While it drains, nothing is renewed: a slow last
 *   message can let the other queues' lease estimates run out, which stops their workers early.
 *   That costs throughput, never safety, and the next round takes the queues up again.
 * - An unlock that never got an answer may still be on its way to the broker, where it could undo a
 *   later grant. So such a queue is not asked for again for one lease (`lockLeaseMs`): by then the
 *   broker has either acted on it or it is lost.
 * - Lease estimate: the clock reading taken just before the lock request, plus `leaseMs`, minus
 *   `lockSafetyMarginMs`. A session's `isActive()` is false from the first time it finds that
 *   estimate passed, and stays false.
 * - A renewal without one of its queues, or with another token, stops that worker; the queue is
 *   forgotten when the worker returns, and only then may a later grant start a new one.
 */
import type { Env, Timer } from "#lab";
import type { ConsumerOptions, OrderlyConsumer } from "#labs/02-ordered-messages/provided.ts";
import { allocateAveragely, TIMING, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { joinGroup } from "../broker-requests.ts";

interface Running {
  token: number;
  /** Until when (this node's clock) the lease may be used. */
  usableUntilMs: number;
  stopped: boolean;
  worker: Promise<void>;
}

/** Unlock attempts in one round before the queue is set aside for a lease. */
const UNLOCK_ATTEMPTS_MAX = 2;
const ROUTE_PAUSE_MS = 7;

export async function openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer> {
  const member = await joinGroup(env, options, ROUTE_PAUSE_MS);
  const { client, queueCount, heartbeats } = member;
  const { group, consumerId } = options;
  const running = new Map<number, Running>();
  /** Queues not locked again yet: their unlock went unanswered less than a lease ago. */
  const setAside = new Set<number>();
  let round: Promise<void> | undefined;
  let closed = false;

  async function unlock(queueId: number): Promise<void> {
    if (await member.unlock(queueId, UNLOCK_ATTEMPTS_MAX)) return;
    // A timer, not a deadline on env.clock.now(): a timer measures elapsed time, so a clock that
    // jumps backwards cannot stretch the wait by the size of the jump (it did, in an early version:
    // L2.E seed 992 set a queue aside for 4 s after a jump of -3.5 s, and nobody served it).
    setAside.add(queueId);
    env.clock.setTimer(TIMING.lockLeaseMs, () => setAside.delete(queueId));
  }

  /** Stops, drains and unlocks every queue in `queueIds`. */
  async function drop(queueIds: number[]): Promise<void> {
    await Promise.all(
      queueIds.map(async (queueId) => {
        const entry = running.get(queueId);
        if (entry === undefined) return;
        entry.stopped = true;
        await entry.worker; // its message in flight is done
        if (running.get(queueId) === entry) running.delete(queueId);
        await unlock(queueId);
      }),
    );
  }

  function start(queueId: number, token: number, usableUntilMs: number): void {
    const entry: Running = { token, usableUntilMs, stopped: false, worker: Promise.resolve() };
    const session = member.session(queueId, token, () => {
      if (!entry.stopped && env.clock.now() >= entry.usableUntilMs) entry.stopped = true;
      return !entry.stopped;
    });
    running.set(queueId, entry);
    env.log.info({ queueId, token }, "worker starts");
    entry.worker = options
      .worker(session)
      .catch((error: unknown) => env.log.error({ queueId, err: String(error) }, "worker threw"))
      .then(() => {
        // However it ended (stopped, fenced), this worker is over: a later grant may start another.
        entry.stopped = true;
        if (running.get(queueId) === entry) running.delete(queueId);
      });
  }

  async function rebalance(): Promise<void> {
    const members = await client.call({ type: "members", group });
    if (closed) return;
    const wanted =
      members.kind === "ok"
        ? allocateAveragely(queueCount, members.reply.consumerIds, consumerId)
        : [...running.keys()].filter((q) => running.get(q)?.stopped === false);
    await drop([...running.keys()].filter((q) => !wanted.includes(q)));
    const toLock = wanted.filter((q) => !setAside.has(q));
    if (closed || toLock.length === 0) return;
    const requestedAtMs = env.clock.now();
    const outcome = await client.call({ type: "lock", group, topic: TOPIC, consumerId, queueIds: toLock });
    if (closed || outcome.kind !== "ok" || outcome.reply.kind !== "ok") return;
    const grants = new Map(outcome.reply.granted.map((g) => [g.queueId, g]));
    env.log.debug({ wanted, toLock, granted: [...grants.keys()], held: [...running.keys()] }, "round");
    for (const [queueId, entry] of running) {
      const grant = grants.get(queueId);
      if (!toLock.includes(queueId)) continue; // not asked about this time
      if (grant !== undefined && grant.token === entry.token) {
        entry.usableUntilMs = requestedAtMs + grant.leaseMs - TIMING.lockSafetyMarginMs;
      } else {
        entry.stopped = true; // renewal refused or re-granted under another token: that worker ends
      }
    }
    for (const grant of grants.values()) {
      if (running.has(grant.queueId)) continue;
      start(grant.queueId, grant.token, requestedAtMs + grant.leaseMs - TIMING.lockSafetyMarginMs);
    }
  }

  const tick = (): void => {
    if (round !== undefined || closed) return;
    round = rebalance().finally(() => {
      round = undefined;
    });
  };
  tick();
  const rounds: Timer = env.clock.setInterval(TIMING.rebalanceIntervalMs, tick);

  return {
    async close(): Promise<void> {
      closed = true;
      rounds.cancel();
      heartbeats.cancel();
      await round;
      const queueIds = [...running.keys()];
      await drop(queueIds);
    },
  };
}
