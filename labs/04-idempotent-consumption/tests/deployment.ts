/**
 * The simulated deployment of parts L4.A to L4.C (docs/design/lab-04.md, section 1):
 *
 *   p1 (harness producer) --send--> broker (labs/shared/broker on lab 01's log) <--pull, commitOffset-- c1..c3
 *                                                                                   |
 *                                     one business database (SimDatabase) <--------+  (the handlers' transactions)
 *                                     L4.D only: one Redis (SimRedis) and the pricing service <--+
 *
 * Each consumer runs the provided push consumer (runtime.ts) with parts the part under test
 * assembles: the learner's functions for what it grades, the grader's stand-ins for the rest.
 * Every handler call is a `handle` operation in the history (invoked when the runtime hands the
 * delivery over, ok with the handler's answer), so a report shows who handled what, when.
 */
import type { Database } from "#harness/db.ts";
import type { Env } from "#harness/env.ts";
import { type AllFaults, applyAllPlans } from "#harness/faults/apply-all.ts";
import type { DbFaultPlan } from "#harness/faults/db-plan.ts";
import { type FaultPlan, ordinal } from "#harness/faults/plan.ts";
import type { RedisFaultPlan } from "#harness/faults/redis-plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { SimDatabase } from "#harness/sim/db.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { SimRedis } from "#harness/sim/redis.ts";
import type { Op } from "#harness/workloads/history.ts";
import { type Broker, defaultBrokerConfig, openBroker } from "#labs/shared/broker/broker.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import { openLogStore } from "#labs/shared/broker/log-store.ts";
import type { PullReply } from "#labs/shared/broker/protocol.ts";
import { type Consumed, type Delivery, GROUP, TABLES, TIMING, TOPIC } from "../provided.ts";
import { type ConsumerHandle, type ConsumerParts, type RuntimeHooks, runPushConsumer } from "../runtime.ts";
import type { CommitEvent, OffsetEvent } from "./check-offsets.ts";
import type { Pricing } from "./pricing.ts";

export const BROKER = "broker";

/** The parts a consumer incarnation runs with (a fresh copy of the learner's modules each time). */
export type Assembly = (env: Env) => ConsumerParts;

/**
 * A second handing-out of a message while its first handler may still run (L4.C): to `to`,
 * `delayMs` after the first delivery began.
 */
export interface Twin {
  to: string;
  delayMs: number;
}

/**
 * A consumer's connection to the database breaks just as it sends its `nth` COMMIT (counted over
 * all its incarnations): the commit never arrives, the transaction rolls back, and the handler
 * hears CommitOutcomeUnknown. The node stays cut off for `forMs`. No random cut lands in that
 * sub-millisecond gap on its own.
 */
export interface CommitCut {
  consumer: string;
  nth: number;
  forMs: number;
}

export interface DeploymentOptions {
  queueCount: number;
  consumers: readonly string[];
  assembly: Assembly;
  commitCuts?: readonly CommitCut[];
  /** Decides, at a message's first delivery, whether it is handed out a second time. */
  twinOf?(delivery: Delivery, from: string): Twin | null;
  /** L4.E: keep each tracker's calls in `offsetEvents`, and each commit as a `commit` operation. */
  recordOffsets?: boolean;
  /** L4.D: the consumers also get Redis and the pricing service's `quote`. */
  window?: { redis: SimRedis; pricing: Pricing };
}

/** One queue's progress: the group's committed offset and the queue's end. */
export interface QueueProgress {
  queueId: number;
  committed: number;
  end: number;
}

export interface Deployment {
  db: SimDatabase;
  broker: SimNode<Broker>;
  consumers: SimNode<ConsumerHandle>[];
  /** Every delivery handed to a handler, in order, with the consumer it went to and its `handle` op. */
  readonly deliveries: { consumer: string; delivery: Delivery; op: Op }[];
  /** Every answer handlers gave, by queue and offset, in order. */
  readonly answers: Map<number, Map<number, Consumed[]>>;
  /** With `recordOffsets`: every tracker call and commit the consumers reported, in order. */
  readonly offsetEvents: OffsetEvent[];
  /** Every "done" answer, with the consumer and the time it was given. */
  readonly dones: { consumer: string; delivery: Delivery; atMs: number }[];
  /** Opens every customer's balance at 0 (before the first message). */
  openBalances(customers: readonly string[]): Promise<void>;
  /** Each queue's progress, read from the broker (null while it is down). */
  progress(): Promise<QueueProgress[] | null>;
  /** Completes the `handle` operations that never answered (their consumer died, or the run ended). */
  closePending(): void;
}

export function deploy(ctx: TestContext<unknown>, options: DeploymentOptions): Deployment {
  const { world, history } = ctx;
  const db = new SimDatabase(world);
  const config = {
    ...defaultBrokerConfig,
    topics: { [TOPIC]: options.queueCount },
    sessionMs: TIMING.sessionMs,
    pullHoldMaxMs: TIMING.pullHoldMs,
  };
  const broker = world.addNode<Broker>(BROKER, async (env) => openBroker(env, config, await openLogStore(env)));
  const deliveries: Deployment["deliveries"] = [];
  const answers: Deployment["answers"] = new Map();
  const dones: Deployment["dones"] = [];
  const pending = new Map<Delivery, Op>();
  const twinned = new Set<string>();
  const offsetEvents: OffsetEvent[] = [];
  const pendingCommits = new Set<Op>();

  const commits = new Map<string, number>();
  /** `conn` with its commits counted, and cut off as a planned one is sent. */
  const withCommitCuts = (id: string, conn: Database): Database => {
    const cuts = (options.commitCuts ?? []).filter((cut) => cut.consumer === id);
    if (cuts.length === 0) return conn;
    return {
      transaction: (work) =>
        conn.transaction(async (tx) => {
          const result = await work(tx);
          const nth = (commits.get(id) ?? 0) + 1;
          commits.set(id, nth);
          const cut = cuts.find((c) => c.nth === nth);
          if (cut !== undefined) {
            history.nemesis(
              `${id}'s connection to the database breaks as it sends its ${ordinal(nth)} commit: the commit never arrives (cut off for ${cut.forMs} ms)`,
            );
            db.cut(id);
            world.at(world.nowMs + cut.forMs, `${id} reaches the database again`, () => db.heal(id));
          }
          return result;
        }),
    };
  };

  const consumers: SimNode<ConsumerHandle>[] = options.consumers.map((id) =>
    world.addNode<ConsumerHandle>(id, (env) =>
      runPushConsumer(
        env,
        {
          broker: new BrokerClient(env.net, BROKER, TIMING.requestTimeoutMs),
          db: withCommitCuts(id, db.connect(env)),
          ...(options.window === undefined
            ? {}
            : { redis: options.window.redis.connect(env), quote: options.window.pricing.quoteFor(env) }),
        },
        options.assembly(env),
        {
          ...(options.recordOffsets === true ? offsetHooks(ctx, env, offsetEvents, pendingCommits) : {}),
          delivered(delivery) {
            const input = {
              message: delivery.messageId,
              order: delivery.event.orderId,
              step: delivery.event.step,
              at: `${TOPIC}/${delivery.queueId}:${delivery.queueOffset}`,
              ...(delivery.reconsumeTimes > 0 ? { reconsumeTimes: delivery.reconsumeTimes } : {}),
            };
            const op = history.invoke(id, "handle", input);
            pending.set(delivery, op);
            deliveries.push({ consumer: id, delivery, op });
            const name = `${delivery.queueId}:${delivery.queueOffset}`;
            if (options.twinOf === undefined || twinned.has(name)) return;
            twinned.add(name);
            const twin = options.twinOf(delivery, id);
            if (twin !== null) handOutAgain(delivery, id, twin);
          },
          answered(delivery, answer) {
            const op = pending.get(delivery);
            pending.delete(delivery);
            if (op !== undefined) history.complete(op, "ok", { output: answer });
            if (answer === "done") dones.push({ consumer: id, delivery, atMs: world.nowMs });
            const byOffset = answers.get(delivery.queueId) ?? new Map<number, Consumed[]>();
            answers.set(delivery.queueId, byOffset);
            byOffset.set(delivery.queueOffset, [...(byOffset.get(delivery.queueOffset) ?? []), answer]);
          },
        },
      ),
    ),
  );

  const handOutAgain = (delivery: Delivery, from: string, twin: Twin): void => {
    const to = consumers.find((node) => node.id === twin.to);
    world.at(world.nowMs + twin.delayMs, `hand ${delivery.messageId} to ${twin.to} again`, () => {
      history.nemesis(
        `${twin.to} is handed ${delivery.messageId} (${TOPIC}/${delivery.queueId}:${delivery.queueOffset}) again while ${from} may still be at work on it (its invisible time ran out)`,
      );
      void to?.invoke((handle) => handle.redeliver(delivery));
    });
  };

  const setup = world.addNode<Env>("setup", (env) => env);
  return {
    db,
    broker,
    consumers,
    deliveries,
    answers,
    offsetEvents,
    dones,
    async openBalances(customers) {
      await setup.start();
      const outcome = await setup.invoke((env) =>
        db.connect(env).transaction(async (tx) => {
          for (const customer of customers) await tx.put(TABLES.balances, customer, { cents: 0 });
        }),
      );
      if (outcome.kind !== "ok") throw new Error(`opening the balances failed: ${outcome.kind}`);
    },
    async progress() {
      const outcome = await broker.invoke(async (api) => {
        const queues: QueueProgress[] = [];
        for (let queueId = 0; queueId < options.queueCount; queueId++) {
          const committed = api.committed(GROUP, TOPIC, queueId).offset;
          const reply = (await api.handle("grader", {
            type: "pull",
            topic: TOPIC,
            queueId,
            offset: committed,
            max: 1,
          })) as PullReply;
          if (reply.kind !== "ok") return null;
          queues.push({ queueId, committed, end: reply.maxOffset });
        }
        return queues;
      });
      return outcome.kind === "ok" ? outcome.value : null;
    },
    closePending() {
      for (const [delivery, op] of pending) {
        history.complete(op, "info", { note: `no answer: ${describeUnanswered(delivery)}` });
      }
      pending.clear();
      for (const op of pendingCommits) ctx.history.complete(op, "info", { note: "no reply: its consumer died" });
      pendingCommits.clear();
    },
  };
}

/** L4.E's hooks: each tracker call into `events`, each commit also as a `commit` operation. */
function offsetHooks(
  ctx: TestContext<unknown>,
  env: Env,
  events: OffsetEvent[],
  pendingCommits: Set<Op>,
): RuntimeHooks {
  const place = (queueId: number) => ({
    consumer: env.nodeId,
    incarnation: env.incarnation,
    queueId,
    atMs: ctx.world.nowMs,
  });
  return {
    opened: (queueId, startOffset) => events.push({ ...place(queueId), kind: "opened", startOffset }),
    received: (queueId, offsets) => events.push({ ...place(queueId), kind: "received", offsets }),
    finished: (queueId, offset) => events.push({ ...place(queueId), kind: "finished", offset }),
    committing(queueId, offset) {
      const op = ctx.history.invoke(env.nodeId, "commit", { queue: `${TOPIC}/${queueId}`, offset });
      const event: CommitEvent = { ...place(queueId), kind: "commit", offset, reply: null, op };
      events.push(event);
      pendingCommits.add(op);
      return (reply) => {
        pendingCommits.delete(op);
        event.reply = reply;
        if (reply === "maybe") ctx.history.complete(op, "info", { note: "no reply in time: it may have taken effect" });
        else ctx.history.complete(op, "ok", { output: reply });
      };
    },
  };
}

function describeUnanswered(delivery: Delivery): string {
  return `the handler of ${delivery.messageId} never answered (its consumer died, or it still ran when the run ended)`;
}

/** The world's plan and the database's (and, in L4.D, Redis's), applied together. */
export function applyFaults(
  ctx: TestContext<unknown>,
  plan: FaultPlan,
  db: SimDatabase,
  dbPlan: DbFaultPlan,
  redis?: { redis: SimRedis; plan: RedisFaultPlan },
): AllFaults {
  return applyAllPlans(ctx.world, ctx.history, plan, {
    db: { db, plan: dbPlan },
    ...(redis === undefined ? {} : { redis }),
  });
}
