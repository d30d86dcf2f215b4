/**
 * Lab 04's parts, each a property of the consumer workload (consume.ts) with the learner's
 * functions for what it grades and the grader's stand-ins (stand-ins.ts) for the rest. L4.D
 * (window.ts) puts Redis and a pricing service in front of the database; L4.E (offsets.ts) runs the
 * learner's tracker behind a stand-in handler that is slow for some operations. L4.F
 * (transform.ts) runs the learner's transformer alone on the broker's Kafka side: no stand-ins.
 */

import type { DbPlanShape } from "#harness/faults/db-plan.ts";
import type { PlanShape } from "#harness/faults/plan.ts";
import { definePart, type TestContext } from "#harness/grade/define.ts";
import type { ConsumerParts } from "../runtime.ts";
import type { ConsumptionModule } from "./api.ts";
import { type Answered, recordingClaim } from "./check-answers.ts";
import { CONSUMERS, type ConsumeScenario, consumeScenarioArb, describeConsume, runConsume } from "./consume.ts";
import { type Assembly, BROKER } from "./deployment.ts";
import { describeOffsets, type OffsetsScenario, offsetsScenarioArb, runOffsets } from "./offsets.ts";
import { standInClaim, standInHandle, standInKey, standInTracker } from "./stand-ins.ts";
import { describeTransform, runTransform, type TransformScenario, transformScenarioArb } from "./transform.ts";
import { describeWindow, openWindow, type WindowScenario, windowScenarioArb } from "./window.ts";

/**
 * The faults every consumer part shares: consumers crash (some right after a database write or
 * commit, or a message sent) and come back, and the network loses, duplicates and reorders.
 */
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

/**
 * Consumers also pause: a pause past the group's session (300 ms) moves the queue to another
 * consumer while the paused one still holds its messages, and it finishes them when it wakes.
 */
const CONSUMER_CRASHES_AND_PAUSES: PlanShape = {
  ...CONSUMER_CRASHES,
  kinds: ["crash", "pause"],
  outageMsMaxByKind: { pause: 300 },
};

/** Serialization failures: those handlers answer retryLater, and the retry must be safe. */
const ABORTED_COMMITS: DbPlanShape = {
  nodes: [...CONSUMERS],
  kinds: ["dbAbortCommits"],
  eventsMax: 2,
  windowMs: 400,
  outageMsMax: 200,
};

/** The stand-ins every part starts from (stand-ins.ts): plainly correct versions of each learner function. */
const STAND_INS: ConsumerParts = {
  businessKey: standInKey,
  claim: standInClaim,
  handle: standInHandle,
  openTracker: standInTracker,
};

/**
 * The parts a consumer incarnation runs with: the learner's functions named in `graded` (from the
 * copy of their modules that incarnation loaded), the stand-ins for the rest. A learner's claim
 * has its answers recorded in `claimAnswers`, for check-answers.ts.
 */
function learnerAssembly(
  ctx: TestContext<ConsumptionModule>,
  graded: readonly GradedFunction[],
  claimAnswers: Answered[] = [],
): Assembly {
  return (env) => {
    const impl = ctx.implFor(env);
    const parts: ConsumerParts = { ...STAND_INS, ...Object.fromEntries(graded.map((name) => [name, impl[name]])) };
    if (!graded.includes("claim")) return parts;
    return { ...parts, claim: recordingClaim(impl.claim, env.nodeId, claimAnswers) };
  };
}

type GradedFunction = "businessKey" | "claim" | "handle" | "handleWithWindow";

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
    commitCutsMax: 0,
    plan: CONSUMER_CRASHES,
    dbPlan: null,
  }),
  describe: describeConsume,
  run: (ctx, s) =>
    runConsume(ctx, s, { assembly: learnerAssembly(ctx, ["businessKey"]), keyOf: (d) => ctx.impl.businessKey(d) }),
});

export const partB = definePart<ConsumptionModule, ConsumeScenario>({
  id: "L4.B",
  title: "the effect and its mark in one transaction",
  points: 20,
  seeds: 120,
  property:
    "through consumer crashes at every step, aborted transactions, lost commit replies and commits cut off on their way, each acknowledged operation's effect is applied exactly once",
  scenario: consumeScenarioArb({
    ordersMin: 3,
    ordersMax: 5,
    consumersMin: 1,
    consumersMax: 2,
    // Some resends: a handler must claim the business key it is given, not the message id.
    resendShares: [0, 0.2],
    twinsMax: 0,
    commitCutsMax: 2,
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
  run: (ctx, s) => runConsume(ctx, s, { assembly: learnerAssembly(ctx, ["handle"]), checkWrites: true }),
});

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
    commitCutsMax: 0,
    plan: { ...CONSUMER_CRASHES_AND_PAUSES, boundaries: ["db"] },
    dbPlan: ABORTED_COMMITS,
  }),
  describe: describeConsume,
  run: (ctx, s) => {
    const claimAnswers: Answered[] = [];
    return runConsume(ctx, s, {
      assembly: learnerAssembly(ctx, ["claim", "handle"], claimAnswers),
      checkWrites: true,
      claimAnswers,
    });
  },
});

export const partD = definePart<ConsumptionModule, WindowScenario>({
  id: "L4.D",
  title: "a dedup window in Redis",
  points: 20,
  seeds: 120,
  property:
    'with a Redis lease and done mark in front of the database, through Redis outages, restarts that forget every key, lost replies, early expiries, pauses past the lease and late resends, each operation is applied exactly once, no consumer takes or ignores another\'s live lease, "done" is answered only once the database holds the effect, and, while Redis answers, a duplicate within the window is neither quoted again nor one key quoted by two consumers at once; every lease and mark is set with its expiry, and a lease is released once its work is over',
  scenario: windowScenarioArb(
    {
      ordersMin: 3,
      ordersMax: 5,
      consumersMin: 2,
      consumersMax: 3,
      resendShares: [0.2, 0.35, 0.5],
      // Late resends, within the redelivery window: a done mark must outlast them.
      resendAfterMsMax: 900,
      twinsMax: 5,
      commitCutsMax: 0,
      // A pause right after taking the lease (or a database write) that outlasts the lease.
      plan: { ...CONSUMER_CRASHES_AND_PAUSES, boundaries: ["redis", "db"] },
      dbPlan: ABORTED_COMMITS,
    },
    {
      nodes: [...CONSUMERS],
      kinds: ["redisCut", "redisRestart", "redisLoseReplies", "redisSkew", "redisEvict"],
      eventsMin: 1,
      eventsMax: 3,
      windowMs: 600,
      outageMsMax: 200,
    },
  ),
  describe: describeWindow,
  run: (ctx, s) =>
    runConsume(ctx, s, { assembly: learnerAssembly(ctx, ["handleWithWindow"]), window: openWindow(ctx, s) }),
});

export const partE = definePart<ConsumptionModule, OffsetsScenario>({
  id: "L4.E",
  title: "offsets and backlog",
  points: 15,
  seeds: 100,
  property:
    "with handlers finishing out of order, every offset commit is the lowest offset still in flight (or one past the highest received): never past an unfinished message, never held back below one that is safe, and no acknowledged operation is lost through a crash",
  scenario: offsetsScenarioArb({
    ordersMin: 6,
    ordersMax: 10,
    consumersMin: 2,
    consumersMax: 3,
    resendShares: [0, 0.2],
    twinsMax: 0,
    commitCutsMax: 0,
    // A pause past the group's session moves the queue; a crash loses what was in flight.
    plan: { ...CONSUMER_CRASHES_AND_PAUSES, eventsMax: 3 },
    // Those handlers answer retryLater and stay in flight longer.
    dbPlan: ABORTED_COMMITS,
  }),
  describe: describeOffsets,
  run: (ctx, s) => runOffsets(ctx, s),
});

export const partF = definePart<ConsumptionModule, TransformScenario>({
  id: "L4.F",
  title: "consume-transform-produce, Kafka's way",
  points: 20,
  seeds: 100,
  property:
    "every committed input record has exactly one committed output, through transformer crashes at every send, broker crashes, a transformer paused past its session between its produce and its offset commit, replies lost several times in a row in the middle of a transaction, a store error answered to one of its steps, and a lossy network; no offset commit is accepted from a member the group's current generation does not give the partition to; the group's offsets reach the end of the input once faults heal",
  scenario: transformScenarioArb,
  describe: describeTransform,
  run: runTransform,
});
