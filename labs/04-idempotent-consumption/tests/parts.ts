/**
 * Lab 04's parts. L4.A to L4.C run the consumer workload (consume.ts); L4.D to L4.F are UNDER
 * CONSTRUCTION (docs/design/lab-04.md): until their workloads are built, each calls its learner
 * function once, with a real context (a simulated database, Redis, a broker client), so that an
 * untouched stub earns "not implemented" and an implemented one is told, honestly, that nothing
 * was graded: it never passes.
 */

import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { anomaly } from "#harness/checkers/anomaly.ts";
import type { PlanShape } from "#harness/faults/plan.ts";
import type { Env } from "#harness/env.ts";
import { definePart, type Part, type TestContext } from "#harness/grade/define.ts";
import { SimDatabase } from "#harness/sim/db.ts";
import { SimRedis } from "#harness/sim/redis.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import {
  applyOrderEvent,
  type Delivery,
  type HandlerContext,
  TABLES,
  TIMING,
  type WindowContext,
} from "../provided.ts";
import type { ConsumptionModule } from "./api.ts";
import { CONSUMERS, type ConsumeScenario, consumeScenarioArb, describeConsume, runConsume } from "./consume.ts";
import { type Assembly, BROKER } from "./deployment.ts";
import { standInClaim, standInHandle, standInKey, standInTracker } from "./stand-ins.ts";

const UNDER_CONSTRUCTION = "lab 04 is under construction: this part's workload and checker are not built yet";

/** One delivery of one charge, for the probes. */
const SAMPLE: Delivery = {
  messageId: "m-1",
  queueId: 0,
  queueOffset: 0,
  key: "o1",
  event: { orderId: "o1", step: 1, kind: "charge", customer: "alice", amountCents: 2500, sentAtMs: 0 },
  reconsumeTimes: 0,
};

/** What a probe needs from a node: its env and the learner's modules as that process loaded them. */
type Probe = (env: Env, impl: ConsumptionModule, stores: Stores) => Promise<unknown>;

interface Stores {
  db: SimDatabase;
  redis: SimRedis;
}

/**
 * Runs `probe` in a consumer node, for at most 5 ms of its clock. A stub's NotImplemented (or any
 * other error) ends the run with its verdict; anything else is "not graded yet".
 */
async function runProbe(ctx: TestContext<ConsumptionModule>, probe: Probe): Promise<Anomaly[]> {
  const stores: Stores = { db: new SimDatabase(ctx.world), redis: new SimRedis(ctx.world) };
  const node = ctx.world.addNode<Env>("c1", (env) => env);
  await node.start();
  const outcome = await node.invoke((env) => Promise.race([probe(env, ctx.implFor(env), stores), env.clock.sleep(5)]));
  if (outcome.kind === "error") throw outcome.error;
  return [anomaly("wrong answer", `${UNDER_CONSTRUCTION}: your code ran, and nothing was checked`)];
}

/** The context a handler gets, with the grader's stand-ins. */
function handlerContext(env: Env, db: SimDatabase, impl: Partial<ConsumptionModule>): HandlerContext {
  let applications = 0;
  return {
    env,
    db: db.connect(env),
    consumerId: env.nodeId,
    businessKey: standInKey,
    claim: impl.claim ?? standInClaim,
    apply: (tx, delivery) =>
      applyOrderEvent(tx, delivery.event, {
        applicationId: `${env.nodeId}#${env.incarnation}/${++applications}`,
        consumerId: env.nodeId,
        messageId: delivery.messageId,
      }),
  };
}

interface PartSketch {
  id: string;
  title: string;
  points: number;
  seeds: number;
  property: string;
  probe: Probe;
}

function placeholderPart(sketch: PartSketch): Part<ConsumptionModule> {
  return definePart<ConsumptionModule, null>({
    id: sketch.id,
    title: sketch.title,
    points: sketch.points,
    seeds: sketch.seeds,
    property: sketch.property,
    scenario: fc.constant(null),
    describe: () => [UNDER_CONSTRUCTION],
    run: (ctx) => runProbe(ctx, sketch.probe),
  });
}

/** Opens the balance the effect needs (the workloads will open every customer's). */
async function openBalance(env: Env, db: SimDatabase): Promise<void> {
  await db.connect(env).transaction((tx) => tx.put(TABLES.balances, SAMPLE.event.customer, { cents: 0 }));
}

/** The shapes of faults every consumer part shares: consumers crash (some right after a database write or commit, or a message sent), and the network loses, duplicates and reorders. */
const CONSUMER_CRASHES: PlanShape = {
  nodes: [...CONSUMERS],
  kinds: ["crash"],
  eventsMin: 1,
  eventsMax: 2,
  windowMs: 400,
  outageMsMax: 150,
  netRatesMax: { dropRate: 0.1, duplicateRate: 0.1, reorderRate: 0.1 },
  boundaries: ["db", "send"],
};

/** L4.A: the learner's key; everything else the grader's stand-ins. */
function keyAssembly(ctx: TestContext<ConsumptionModule>): Assembly {
  return (env) => ({
    businessKey: ctx.implFor(env).businessKey,
    claim: standInClaim,
    handle: standInHandle,
    openTracker: standInTracker,
  });
}

export const partA = definePart<ConsumptionModule, ConsumeScenario>({
  id: "L4.A",
  title: "the business key",
  points: 10,
  seeds: 100,
  property:
    "every copy of one operation (redelivered, or resent under a new message id) gets the same key, and two operations never share one: no effect is applied twice or skipped",
  scenario: consumeScenarioArb({
    ordersMin: 3,
    ordersMax: 5,
    consumersMin: 1,
    consumersMax: 2,
    resendShares: [0, 0.2, 0.35, 0.5],
    twinsMax: 0,
    plan: CONSUMER_CRASHES,
    dbPlan: null,
  }),
  describe: describeConsume,
  run: (ctx, s) => runConsume(ctx, s, { assembly: keyAssembly(ctx), keyOf: (d) => ctx.impl.businessKey(d) }),
});

/** L4.B: the learner's handler, with the grader's key and claim. */
function handlerAssembly(ctx: TestContext<ConsumptionModule>): Assembly {
  return (env) => ({
    businessKey: standInKey,
    claim: standInClaim,
    handle: ctx.implFor(env).handle,
    openTracker: standInTracker,
  });
}

export const partB = definePart<ConsumptionModule, ConsumeScenario>({
  id: "L4.B",
  title: "the effect and its mark in one transaction",
  points: 20,
  seeds: 120,
  property:
    "through consumer crashes at every step, aborted transactions and lost commit replies, each acknowledged operation's effect is applied exactly once",
  scenario: consumeScenarioArb({
    ordersMin: 3,
    ordersMax: 5,
    consumersMin: 1,
    consumersMax: 2,
    resendShares: [0],
    twinsMax: 0,
    plan: { ...CONSUMER_CRASHES, nodes: [...CONSUMERS, BROKER], eventsMax: 3 },
    dbPlan: {
      nodes: [...CONSUMERS],
      kinds: ["dbAbortCommits", "dbLoseCommitReplies", "dbCut", "dbRestart"],
      eventsMin: 1,
      eventsMax: 3,
      windowMs: 400,
      outageMsMax: 200,
    },
  }),
  describe: describeConsume,
  run: (ctx, s) => runConsume(ctx, s, { assembly: handlerAssembly(ctx) }),
});

/** L4.C: the learner's claim under the learner's handler. */
function claimAssembly(ctx: TestContext<ConsumptionModule>): Assembly {
  return (env) => {
    const impl = ctx.implFor(env);
    return { businessKey: standInKey, claim: impl.claim, handle: impl.handle, openTracker: standInTracker };
  };
}

export const partC = definePart<ConsumptionModule, ConsumeScenario>({
  id: "L4.C",
  title: "concurrent redelivery",
  points: 15,
  seeds: 150,
  property:
    "when two consumers hold the same message at once (a rebalance with a paused old owner, a redelivery timeout), the effect is still applied exactly once",
  scenario: consumeScenarioArb({
    ordersMin: 3,
    ordersMax: 5,
    consumersMin: 2,
    consumersMax: 3,
    resendShares: [0, 0.2],
    twinsMax: 5,
    plan: {
      ...CONSUMER_CRASHES,
      kinds: ["crash", "pause"],
      // A pause past the group's session: the queue moves to another consumer while the paused
      // one still holds its messages, and it finishes them when it wakes.
      outageMsMaxByKind: { pause: 300 },
      boundaries: ["db"],
    },
    dbPlan: { nodes: [...CONSUMERS], kinds: ["dbAbortCommits"], eventsMax: 2, windowMs: 400, outageMsMax: 200 },
  }),
  describe: describeConsume,
  run: (ctx, s) => runConsume(ctx, s, { assembly: claimAssembly(ctx) }),
});

export const partD = placeholderPart({
  id: "L4.D",
  title: "a dedup window in Redis",
  points: 20,
  seeds: 120,
  property:
    "with a Redis lease and done mark in front of the database, effects stay exactly once through lease expiry, Redis restarts and late duplicates, and no two consumers do the work of one key while its lease is alive",
  probe: async (env, impl, { db, redis }) => {
    await openBalance(env, db);
    const window: WindowContext = {
      ...handlerContext(env, db, {}),
      redis: redis.connect(env),
      quote: async () => {
        await env.clock.sleep(1);
        return SAMPLE.event.amountCents;
      },
      handle: standInHandle,
    };
    return impl.handleWithWindow(window, SAMPLE);
  },
});

export const partE = placeholderPart({
  id: "L4.E",
  title: "offsets and backlog",
  points: 15,
  seeds: 100,
  property:
    "the committed offset never passes a message still in flight, and never stays below the lowest one: a crash loses nothing and redelivers no more than it must",
  probe: async (_env, impl) => {
    const tracker = impl.openTracker();
    tracker.received([0, 1, 2]);
    tracker.finished(1);
    return tracker.committable();
  },
});

export const partF = placeholderPart({
  id: "L4.F",
  title: "consume-transform-produce, Kafka's way",
  points: 20,
  seeds: 100,
  property:
    "each input record's output is committed exactly once with its input offset, and a zombie of an older group generation never commits",
  probe: async (env, impl) =>
    impl.runTransformer({
      env,
      client: new BrokerClient(env.net, "broker", TIMING.requestTimeoutMs),
      transactionalId: `tx-${env.nodeId}`,
      group: "transformers",
    }),
});
