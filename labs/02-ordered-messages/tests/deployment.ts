/**
 * The simulated deployment every lab 02 part runs in:
 *
 *   producers (p1, p2: the learner's producer, or the harness's own for the consumer parts)
 *        |  send
 *        v
 *     broker (labs/shared/broker on lab 01's log)  <-- pull, lock, commit, heartbeat --  consumers (c1..c3)
 *                                                                                          |  handler
 *                                                                                          v
 *                                                                                        ledger
 *
 * The handler is the lab's business logic: it takes simulated time, sometimes fails (the learner
 * must retry in place), and writes the message's effect to the ledger with the fencing token. Every
 * send and every handler call is recorded in the history; the checkers read nothing else, apart
 * from the queues' final contents, read through the broker like any client would.
 */

import type { TestContext } from "#harness/grade/define.ts";
import { isProgrammingError, rethrowFrom } from "#harness/grade/verdict.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { SimRng } from "#harness/sim/rng.ts";
import type { History, Op } from "#harness/workloads/history.ts";
import type { Env } from "#lab";
import {
  FencedError,
  type Handler,
  type QueueSession,
  type QueueWorker,
  TIMING,
  TOPIC,
  TransientFailure,
} from "#labs/02-ordered-messages/provided.ts";
import { type Broker, defaultBrokerConfig, openBroker } from "#labs/shared/broker/broker.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import { openLogStore } from "#labs/shared/broker/log-store.ts";
import type { BrokerRequest, LockReply, StoredMessage, UnlockReply } from "#labs/shared/broker/protocol.ts";
import type { OrderingModule } from "./api.ts";
import type { Committed, LockEvent } from "./checker.ts";
import { type ApplyReply, LEDGER, openLedger } from "./ledger.ts";

export const BROKER = "broker";
export const GROUP = "g";

export interface HandlerBehaviour {
  /** Simulated processing time of one message. */
  processingMs: number;
  /** Probability that one attempt is slow (a slow query, a dependency under load): `slowMs` instead. */
  slowRate: number;
  /** Processing time of a slow attempt. Kept below TIMING.lockSafetyMarginMs (see parts.ts). */
  slowMs: number;
  /** Probability that one attempt fails with TransientFailure. */
  failureRate: number;
  /** Every attempt on this key fails until this true time (a row locked by a long transaction). */
  stuckKey?: { key: string; untilMs: number };
  /** Processing time by key, instead of `processingMs` (L2.F: a slow key among fast ones). */
  keyMs?: ReadonlyMap<string, number>;
}

export interface Deployment {
  broker: SimNode<Broker>;
  /** Every lock the broker granted or renewed, and every unlock it accepted, in true time. */
  readonly locks: LockEvent[];
  /** Reads every queue's full contents through the broker (retrying until it answers). */
  readAllQueues(): Promise<StoredMessage[][]>;
  /** The history index of every effect the ledger accepted, in the order it accepted them. */
  readonly effectOrder: number[];
  /** The group's committed offset of a queue, as the running broker holds it; null while it is down. */
  committed(group: string, queueId: number): Committed | null;
}

/** The message every send carries as its body: a unique id, `p1/k3#5` (producer, key, number). */
export function messageId(producer: string, key: string, n: number): string {
  return `${producer}/${key}#${n}`;
}

export function deployBroker(ctx: TestContext<OrderingModule>, queueCount: number, fencing: boolean): Deployment {
  const { world } = ctx;
  const config = {
    ...defaultBrokerConfig,
    topics: { [TOPIC]: queueCount },
    lockLeaseMs: TIMING.lockLeaseMs,
    sessionMs: TIMING.sessionMs,
  };
  // The broker stores messages in lab 01's reference log, recovered at every start.
  const locks: LockEvent[] = [];
  const broker = world.addNode<Broker>(BROKER, async (env) =>
    openBroker(
      observeLocks(env, locks, () => world.nowMs),
      config,
      await openLogStore(env),
    ),
  );
  const effectOrder: number[] = [];
  world.addNode(LEDGER, (env) => openLedger(env, fencing, () => world.nowMs, effectOrder));
  const auditor = world.addNode<Env>("auditor", (env) => env);

  return {
    broker,
    locks,
    effectOrder,
    committed(group, queueId) {
      const incarnation = broker.incarnation;
      if (incarnation === null || !incarnation.alive || incarnation.api === undefined) return null;
      return incarnation.api.committed(group, TOPIC, queueId);
    },
    async readAllQueues() {
      if (!auditor.isUp) await auditor.start();
      const outcome = await auditor.invoke(async (env) => {
        const client = new BrokerClient(env.net, BROKER, 200);
        const queues: StoredMessage[][] = [];
        for (let queueId = 0; queueId < queueCount; queueId++) {
          const messages: StoredMessage[] = [];
          for (;;) {
            const pulled = await client.call({ type: "pull", topic: TOPIC, queueId, offset: messages.length, max: 64 });
            if (pulled.kind !== "ok") continue;
            if (pulled.reply.kind !== "ok" || pulled.reply.messages.length === 0) break;
            messages.push(...pulled.reply.messages);
          }
          queues.push(messages);
        }
        return queues;
      });
      if (outcome.kind !== "ok") throw new Error(`the auditor could not read the queues: ${outcome.kind}`);
      return outcome.value;
    },
  };
}

/**
 * The broker's env, with its request handler watched: every lock reply (what it granted, with the
 * lease) and every accepted unlock is recorded, at the true time the broker answered. That is what
 * the broker saw, as a client-facing server, and the lock checker compares it with the handler
 * calls (checker.ts: "processed without the lock").
 */
function observeLocks(env: Env, locks: LockEvent[], trueNowMs: () => number): Env {
  const net: Env["net"] = {
    ...env.net,
    onRequest: (handler) =>
      env.net.onRequest(async (from, request) => {
        const reply = await handler(from, request);
        recordLock(request as BrokerRequest, reply, locks, trueNowMs());
        return reply;
      }),
  };
  return { ...env, net };
}

function recordLock(request: BrokerRequest, reply: unknown, locks: LockEvent[], atMs: number): void {
  if (request.type === "lock" && (reply as LockReply).kind === "ok") {
    for (const grant of (reply as Extract<LockReply, { kind: "ok" }>).granted) {
      locks.push({
        kind: "granted",
        atMs,
        consumerId: request.consumerId,
        queueId: grant.queueId,
        untilMs: atMs + grant.leaseMs,
      });
    }
  } else if (request.type === "unlock" && (reply as UnlockReply).kind === "ok") {
    locks.push({ kind: "unlocked", atMs, consumerId: request.consumerId, queueId: request.queueId });
  }
}

/** Starts the ledger and the broker (the broker first: clients need it). */
export async function startInfrastructure(ctx: TestContext<OrderingModule>, deployment: Deployment): Promise<void> {
  const started = await deployment.broker.start();
  if (started.kind === "error") throw started.error;
  const ledger = await ctx.world.node(LEDGER).start();
  if (ledger.kind === "error") throw ledger.error;
}

/** Where a handler reports to, and the hooks a workload may add. */
export interface HandlerSetup {
  history: History;
  rng: SimRng;
  behaviour: HandlerBehaviour;
  /** The true simulated time (the grader's clock, not the node's). */
  trueNowMs: () => number;
  /** Runs after the work and before the write: the moment a GC pause does the most harm. */
  beforeEffect?: (message: StoredMessage) => Promise<void>;
  /** Runs after the ledger accepted the effect, before the handler returns (and its worker commits). */
  afterEffect?: (message: StoredMessage) => Promise<void>;
  /** Called with every handler call as it starts (to see where sessions start). */
  onCall?: (op: Op) => void;
  /** The harness's consumer ended a session: from now on its `isActive()` is false. */
  onSessionEnd?: (queueId: number, token: number) => void;
}

/**
 * The business logic a consumer runs per message: simulated work, an occasional transient failure,
 * then the effect, written to the ledger under the fencing token. Recorded as a "process" op (with
 * the token it was called with): ok when the ledger accepted the effect, fail when it certainly did
 * not, info when unknown.
 */
export function makeHandler(env: Env, consumerId: string, setup: HandlerSetup): Handler {
  const { history, rng, behaviour } = setup;
  return async (message, token) => {
    const op = history.invoke(consumerId, "process", {
      queueId: message.queueId,
      queueOffset: message.queueOffset,
      key: message.key,
      id: message.body,
      token,
    });
    setup.onCall?.(op);
    const usualMs = behaviour.keyMs?.get(message.key) ?? behaviour.processingMs;
    await env.clock.sleep(rng.chance(behaviour.slowRate) ? behaviour.slowMs : usualMs);
    const stuck = behaviour.stuckKey;
    if (rng.chance(behaviour.failureRate) || (stuck?.key === message.key && setup.trueNowMs() < stuck.untilMs)) {
      history.complete(op, "fail", { note: "a transient failure: retry in place" });
      throw new TransientFailure(message.queueOffset);
    }
    if (setup.beforeEffect !== undefined) await setup.beforeEffect(message);
    const reply = await env.net.request<ApplyReply>(
      LEDGER,
      {
        type: "apply",
        queueId: message.queueId,
        queueOffset: message.queueOffset,
        key: message.key,
        messageId: message.body,
        consumerId,
        token,
        opIndex: op.index,
      },
      { timeoutMs: TIMING.requestTimeoutMs },
    );
    if (reply.kind === "maybe") {
      history.complete(op, "info", { note: "the ledger did not answer" });
      throw new TransientFailure(message.queueOffset);
    }
    if (reply.reply.kind === "fenced") {
      history.complete(op, "fail", {
        note: `fenced: token ${token} < ${reply.reply.newestToken}`,
        output: { fencedBy: reply.reply.newestToken },
      });
      throw new FencedError(message.queueId, token);
    }
    history.complete(op, "ok", { output: { appliedAtMs: reply.reply.appliedAtMs } });
    if (setup.afterEffect !== undefined) await setup.afterEffect(message);
  };
}

/** The consumer id of an incarnation: a restarted process is a new member of the group. */
export function consumerIdOf(env: Env): string {
  return `${env.nodeId}#${env.incarnation}`;
}

/**
 * A takeover the worker is not told of (L2.E, L2.F): during the `atCall`-th handler call of a
 * session (as the call starts, or once it has finished), the harness's consumer gives the queue's
 * lock up and another member of the group, on the same node, locks it under a newer token and runs
 * a worker of its own on it. The old session's `isActive()` stays true until STALE_SESSION_MS after
 * the successor got the lock, as it would for a consumer whose lease estimate is wrong (its clock ran slow, or stood still in a
 * suspended virtual machine). Only the broker's and the ledger's `fenced` answers can tell the old
 * worker, and it must believe them: return at once, without retrying and without committing.
 */
export interface Takeover {
  atCall: number;
  moment: "callStarts" | "callEnds";
}

/** How long a session overtaken by a Takeover still believes it holds its queue. */
export const STALE_SESSION_MS = 300;

export function describeTakeover(takeover: Takeover): string {
  const when = takeover.moment === "callStarts" ? "as its handler call #N starts" : "once its handler call #N is done";
  return `c1's first session to reach handler call #${takeover.atCall} loses its queue ${when.replace("#N", `#${takeover.atCall}`)}: another member (c1-next) locks it under a newer token, while the old session's isActive() stays true until ${STALE_SESSION_MS} ms after that (a lease estimate that is wrong)`;
}

/** The consumer id of the member that takes a queue over on node `nodeId` (see Takeover). */
function successorIdOf(env: Env): string {
  return `${env.nodeId}-next#${env.incarnation}`;
}

/**
 * For the parts that grade a queue worker alone (L2.C, L2.F, and L2.E's takeovers): a consumer
 * node whose group logic is the harness's. It locks every queue, runs the learner's worker on each
 * under the lock, renews the locks, and starts a fresh session whenever a worker returns (fenced,
 * say, after a broker restart handed out new tokens).
 *
 * With `takeAwayAfterCalls`, it also ends each session itself once that many handler calls of it
 * have finished, as a rebalance would, while the worker still has messages pulled: `isActive()`
 * turns false, and once the worker has returned the queue is unlocked and locked again, under a
 * new token, for the next session.
 *
 * With `takeover`, the first session to reach that call loses its queue to a second member without
 * being told (see Takeover). Each member is one consumer id with its own locks and sessions.
 */
export function harnessConsumer(
  worker: QueueWorker,
  queueCount: number,
  handlerSetup: (consumerId: string) => HandlerSetup,
  options: { group?: string; takeAwayAfterCalls?: number; takeover?: Takeover } = {},
): (env: Env) => Promise<void> {
  const group = options.group ?? GROUP;
  return async (env) => {
    const client = new BrokerClient(env.net, BROKER, TIMING.requestTimeoutMs);
    /** Queues the first member has given up to its successor (at most one: see Takeover). */
    const handedOver = new Set<number>();
    /** Sessions overtaken without being told ("queue|token"), and the true time they stop believing. */
    const staleUntil = new Map<string, number>();

    interface Member {
      consumerId: string;
      tokens: Map<number, number>;
      lockAll(): Promise<void>;
      runQueue(queueId: number): Promise<void>;
    }

    const member = (consumerId: string, owns: (queueId: number) => boolean): Member => {
      const setup = handlerSetup(consumerId);
      const tokens = new Map<number, number>();
      /** Queues taken away from their session, not yet unlocked: not to be renewed meanwhile. */
      const takenAway = new Set<number>();
      const calls = new Map<string, number>();
      const work = makeHandler(env, consumerId, setup);
      const current = (queueId: number, token: number): boolean => tokens.get(queueId) === token;
      const handler: Handler = async (message, token) => {
        const session = `${message.queueId}|${token}`;
        const call = (calls.get(session) ?? 0) + 1;
        calls.set(session, call);
        const takeover = options.takeover;
        const handOverNow = (moment: Takeover["moment"]): boolean =>
          takeover !== undefined &&
          takeover.moment === moment &&
          takeover.atCall === call &&
          consumerId === first.consumerId &&
          handedOver.size === 0 &&
          current(message.queueId, token);
        if (handOverNow("callStarts")) handOver(message.queueId, token, setup);
        try {
          await work(message, token);
        } finally {
          if (call === options.takeAwayAfterCalls && current(message.queueId, token)) {
            takenAway.add(message.queueId);
            tokens.delete(message.queueId);
            setup.onSessionEnd?.(message.queueId, token);
          } else if (handOverNow("callEnds")) handOver(message.queueId, token, setup);
        }
      };
      /** What every session of this member shares. */
      const shared = { env, client, group, consumerId, handler };
      const lockAll = async (): Promise<void> => {
        const queueIds = Array.from({ length: queueCount }, (_, q) => q).filter((q) => owns(q) && !takenAway.has(q));
        if (queueIds.length === 0) return;
        const reply = await client.call({ type: "lock", group, topic: TOPIC, consumerId, queueIds });
        if (reply.kind !== "ok" || reply.reply.kind !== "ok") return;
        for (const g of reply.reply.granted) {
          if (takenAway.has(g.queueId) || !owns(g.queueId)) continue;
          // A new token (the broker restarted, or the lock lapsed and came back) ends the session.
          const old = tokens.get(g.queueId);
          if (old !== undefined && old !== g.token) setup.onSessionEnd?.(g.queueId, old);
          tokens.set(g.queueId, g.token);
        }
      };
      /** Unlocks a queue taken away (until the broker answers), so that its next grant has a new token. */
      const giveBack = async (queueId: number): Promise<void> => {
        await unlock(consumerId, queueId);
        takenAway.delete(queueId);
      };
      const believes = (queueId: number, token: number): boolean => {
        const until = staleUntil.get(`${queueId}|${token}`);
        return current(queueId, token) && (until === undefined || setup.trueNowMs() < until);
      };
      const runQueue = async (queueId: number): Promise<void> => {
        while (owns(queueId)) {
          const token = tokens.get(queueId);
          if (token === undefined) {
            await env.clock.sleep(TIMING.rebalanceIntervalMs);
            continue;
          }
          const session: QueueSession = { ...shared, queueId, token, isActive: () => believes(queueId, token) };
          await callWorker(worker, session);
          if (takenAway.has(queueId)) await giveBack(queueId);
          else if (current(queueId, token) && owns(queueId)) await env.clock.sleep(TIMING.rebalanceIntervalMs);
        }
      };
      env.clock.setInterval(TIMING.rebalanceIntervalMs, () => void lockAll());
      return { consumerId, tokens, lockAll, runQueue };
    };

    const unlock = async (consumerId: string, queueId: number): Promise<void> => {
      for (;;) {
        const reply = await client.call({ type: "unlock", group, topic: TOPIC, consumerId, queueId });
        if (reply.kind === "ok") return;
      }
    };

    const first = member(consumerIdOf(env), (queueId) => !handedOver.has(queueId));
    // Made only for a takeover: its renewal timer would otherwise change every other run's events.
    const successor =
      options.takeover === undefined ? null : member(successorIdOf(env), (queueId) => handedOver.has(queueId));

    /** The takeover itself: the old session keeps its token and, for a while, its belief. */
    const handOver = (queueId: number, token: number, setup: HandlerSetup): void => {
      if (successor === null) return;
      handedOver.add(queueId);
      const session = `${queueId}|${token}`;
      staleUntil.set(session, Number.POSITIVE_INFINITY);
      setup.history.nemesis(
        `${first.consumerId} loses queue ${queueId} without being told: ${successor.consumerId} takes it over, and ${first.consumerId}'s session (token ${token}) still believes its lease until ${STALE_SESSION_MS} ms after that`,
      );
      void (async () => {
        await unlock(first.consumerId, queueId);
        // The broker may be down: the old session goes on believing until the successor has the lock.
        for (;;) {
          await successor.lockAll();
          if (successor.tokens.has(queueId)) break;
          await env.clock.sleep(TIMING.rebalanceIntervalMs);
        }
        staleUntil.set(session, setup.trueNowMs() + STALE_SESSION_MS);
        await successor.runQueue(queueId);
      })();
    };

    await first.lockAll();
    for (let queueId = 0; queueId < queueCount; queueId++) void first.runQueue(queueId);
  };
}

/** Runs a learner's worker; a programming error in it becomes an exception verdict naming it. */
async function callWorker(worker: QueueWorker, session: QueueSession): Promise<void> {
  try {
    await worker(session);
  } catch (error) {
    if (isProgrammingError(error) || !(error instanceof Error)) {
      rethrowFrom(`your queue worker on queue ${session.queueId}`, error);
    }
    throw error;
  }
}

/** Marks every operation that never completed (its node died) as having an unknown outcome. */
export function settlePending(history: History): void {
  for (const op of history.pending()) history.complete(op, "info", { note: "its node crashed before it completed" });
}

/** A send as recorded: `send({"key":"k1","id":"p1/k1#3"})`. */
export function sendOps(history: History): Op[] {
  return history.ops.filter((op) => op.f === "send");
}
