/**
 * Lab 04's parts, UNDER CONSTRUCTION: the workloads and checkers of docs/design/lab-04.md are not
 * built yet. Until they are, each part calls its learner function once, with a real context (a
 * simulated database, Redis, a broker client), so that an untouched stub earns "not implemented"
 * and an implemented one is told, honestly, that nothing was graded: it never passes.
 */

import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { anomaly } from "#harness/checkers/anomaly.ts";
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
import { standInClaim, standInHandle, standInKey } from "./stand-ins.ts";

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

export const partA = placeholderPart({
  id: "L4.A",
  title: "the business key",
  points: 10,
  seeds: 100,
  property:
    "every copy of one operation (redelivered, or resent under a new message id) gets the same key, and two operations never share one: no effect is applied twice or skipped",
  probe: async (_env, impl) => impl.businessKey(SAMPLE),
});

export const partB = placeholderPart({
  id: "L4.B",
  title: "the effect and its mark in one transaction",
  points: 20,
  seeds: 120,
  property:
    "through consumer crashes at every step, aborted transactions and lost commit replies, each acknowledged operation's effect is applied exactly once",
  probe: async (env, impl, { db }) => {
    await openBalance(env, db);
    return impl.handle(handlerContext(env, db, {}), SAMPLE);
  },
});

export const partC = placeholderPart({
  id: "L4.C",
  title: "concurrent redelivery",
  points: 15,
  seeds: 150,
  property:
    "when two consumers hold the same message at once (a rebalance with a paused old owner, a redelivery timeout), the effect is still applied exactly once",
  probe: async (env, impl, { db }) => {
    await openBalance(env, db);
    return impl.handle(handlerContext(env, db, { claim: impl.claim }), SAMPLE);
  },
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
