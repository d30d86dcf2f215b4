/**
 * The workload of parts L4.A to L4.D: p1 publishes an order book (resending some operations as new
 * messages), consumers of the group handle it through the provided push consumer, faults strike,
 * and once they have healed every queue must drain. Then the checkers read what the producer was
 * told and what the database committed.
 *
 * Timeline of one run:
 *   broker up; balances opened; consumers up; fault plans applied (time 0 of their windows);
 *   p1 publishes (each send retried until acknowledged); faults heal;
 *   wait until every queue's committed offset reaches its end (at most DRAIN_MS);
 *   SETTLE_MS more, for handlers still at work on twins; check.
 */

import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { anomaly } from "#harness/checkers/anomaly.ts";
import type { Env } from "#harness/env.ts";
import { rethrowFrom } from "#harness/errors.ts";
import { type DbFaultPlan, type DbPlanShape, dbPlans } from "#harness/faults/db-plan.ts";
import { describePlan, type FaultPlan, ordinal, type PlanShape, planArb } from "#harness/faults/plan.ts";
import type { RedisFaultPlan } from "#harness/faults/redis-plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { SimRedis } from "#harness/sim/redis.ts";
import { plural } from "#harness/words.ts";
import { type Delivery, TABLES, TOPIC } from "../provided.ts";
import { type Answered, checkAnswers } from "./check-answers.ts";
import { applicationsOf, checkEffects, type SentOperation } from "./check-effects.ts";
import { checkKeys, gluedFieldProbes } from "./check-keys.ts";
import { checkWrites as checkWritesOf } from "./check-writes.ts";
import {
  type Assembly,
  applyFaults,
  BROKER,
  type CommitCut,
  type Deployment,
  deploy,
  type QueueProgress,
  type Twin,
} from "./deployment.ts";
import { customersOf, describeEvent, describeOrderBook, orderBookArb, type PlannedEvent } from "./orders.ts";
import type { Pricing } from "./pricing.ts";
import { PRODUCER, runProducer } from "./produce.ts";
import { standInKeyOf } from "./stand-ins.ts";

/** A message handed out a second time (L4.C): the `event`-th operation's first copy. */
export interface TwinPlan {
  event: number;
  delayMs: number;
}

export interface ConsumeScenario {
  queueCount: number;
  consumers: string[];
  events: PlannedEvent[];
  /** Per event: republished as a new message this long after its first send, or never. */
  resendAfterMs: (number | null)[];
  sendGapMs: number;
  twins: TwinPlan[];
  commitCuts: CommitCut[];
  plan: FaultPlan;
  dbPlan: DbFaultPlan;
}

/** After the faults heal and p1 is done: how long every queue has to drain. */
const DRAIN_MS = 2_000;
/** Once drained: time for handlers still at work (twins, retries) to finish. */
const SETTLE_MS = 300;
/** p1 stops retrying a send this long after the faults are over. */
const GIVE_UP_MS = 2_000;

/** Every consumer a scenario may run; each runs the first `consumers.length` of them. */
export const CONSUMERS = ["c1", "c2", "c3"] as const;

/** What a part's scenarios may contain. */
export interface ConsumeShape {
  ordersMin: number;
  ordersMax: number;
  consumersMin: number;
  consumersMax: number;
  /** The share of operations published twice is drawn from these. */
  resendShares: readonly number[];
  /** How many messages are handed out twice (L4.C), at most. */
  twinsMax: number;
  /** How many commits are cut off as they are sent (L4.B), at most. */
  commitCutsMax: number;
  /** The world's faults; its nodes are drawn among CONSUMERS (and the broker). */
  plan: PlanShape;
  dbPlan: DbPlanShape | null;
  /** The longest wait before an operation is published again (default RESEND_AFTER_MS_MAX). */
  resendAfterMsMax?: number;
}

/** The longest wait before an operation is published again (within the redelivery window). */
const RESEND_AFTER_MS_MAX = 400;

export function consumeScenarioArb(shape: ConsumeShape): fc.Arbitrary<ConsumeScenario> {
  const events = orderBookArb(shape.ordersMin, shape.ordersMax);
  return fc
    .record({
      queueCount: fc.integer({ min: 2, max: 4 }),
      consumerCount: fc.integer({ min: shape.consumersMin, max: shape.consumersMax }),
      events,
      resendShare: fc.constantFrom(...shape.resendShares),
      resendDraws: fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 20, maxLength: 20 }),
      resendAfterMs: fc.array(fc.integer({ min: 1, max: shape.resendAfterMsMax ?? RESEND_AFTER_MS_MAX }), {
        minLength: 20,
        maxLength: 20,
      }),
      sendGapMs: fc.integer({ min: 0, max: 8 }),
      twins: fc.array(fc.record({ event: fc.nat({ max: 19 }), delayMs: fc.integer({ min: 0, max: 3 }) }), {
        maxLength: shape.twinsMax,
      }),
      commitCuts: fc.array(
        fc.record({
          consumer: fc.constantFrom(...CONSUMERS),
          nth: fc.integer({ min: 1, max: 12 }),
          forMs: fc.integer({ min: 1, max: 100 }),
        }),
        { maxLength: shape.commitCutsMax },
      ),
      plan: planArb(shape.plan),
      dbPlan: shape.dbPlan === null ? fc.constant<DbFaultPlan>({ events: [] }) : dbPlans.arb(shape.dbPlan),
    })
    .map((draw) => {
      const consumers = CONSUMERS.slice(0, draw.consumerCount);
      // Faults aimed at a consumer this scenario does not run would do nothing: aim them at c1.
      const running = (node: string): string =>
        node.startsWith("c") && !consumers.includes(node as (typeof CONSUMERS)[number]) ? "c1" : node;
      return {
        queueCount: draw.queueCount,
        consumers: [...consumers],
        events: draw.events,
        resendAfterMs: draw.events.map((_, i) =>
          (draw.resendDraws[i] ?? 100) < draw.resendShare * 100 ? (draw.resendAfterMs[i] ?? 1) : null,
        ),
        sendGapMs: draw.sendGapMs,
        twins: draw.twins.filter((t) => t.event < draw.events.length),
        commitCuts: draw.commitCuts.map((cut) => ({ ...cut, consumer: running(cut.consumer) })),
        plan: {
          ...draw.plan,
          events: draw.plan.events.map((e) => ("node" in e ? { ...e, node: running(e.node) } : e)),
        },
        dbPlan: { events: draw.dbPlan.events.map((e) => ("node" in e ? { ...e, node: running(e.node) } : e)) },
      };
    });
}

export function describeConsume(s: ConsumeScenario): string[] {
  const resends = s.resendAfterMs.filter((ms) => ms !== null).length;
  const twins = s.twins.map((t) => {
    const event = s.events[t.event];
    return event === undefined
      ? ""
      : `${describeEvent(event)} is handed to a second consumer ${t.delayMs} ms after the first`;
  });
  return [
    ...describePlan(s.plan),
    ...dbPlans.describe(s.dbPlan),
    ...twins.filter((t) => t !== ""),
    ...s.commitCuts.map(
      (cut) =>
        `${cut.consumer}'s connection to the database breaks as it sends its ${ordinal(cut.nth)} commit (cut off for ${cut.forMs} ms)`,
    ),
    `workload: ${PRODUCER} publishes ${describeOrderBook(s.events)} to ${TOPIC} (${plural(s.queueCount, "queue")}), one order per queue, ${s.sendGapMs} ms apart; ${plural(resends, "operation")} published again later as a new message; consumers ${s.consumers.join(", ")} of one group`,
  ];
}

export interface ConsumeOptions {
  assembly: Assembly;
  /** The handler's transactions are checked for writes beyond the claim and the effect (L4.B, L4.C). */
  checkWrites?: boolean;
  /** The learner's business key, checked directly on every delivery (L4.A only). */
  keyOf?: (delivery: Delivery) => unknown;
  /** L4.E: records the consumers' tracker calls and commits, and checks them after the run. */
  checkOffsets?: (d: Deployment) => Anomaly[];
  /** What a stuck queue's `not live` report advises (by default: answer "done" once durable). */
  notLiveAdvice?: string;
  /** L4.D: Redis, the pricing service, Redis's fault plan, and the window's checks. */
  window?: WindowRun;
  /** L4.C: the learner's claim answers, recorded as given (check-answers.ts). */
  claimAnswers?: readonly Answered[];
}

/** What part L4.D adds to a run (window.ts builds it). */
export interface WindowRun {
  redis: SimRedis;
  pricing: Pricing;
  plan: RedisFaultPlan;
  check(d: Deployment, sent: readonly SentOperation[]): Anomaly[];
}

export async function runConsume(
  ctx: TestContext<unknown>,
  s: ConsumeScenario,
  options: ConsumeOptions,
): Promise<Anomaly[]> {
  const { world } = ctx;
  const twinned = new Set<TwinPlan>();
  const d = deploy(ctx, {
    queueCount: s.queueCount,
    consumers: s.consumers,
    assembly: options.assembly,
    commitCuts: s.commitCuts,
    recordOffsets: options.checkOffsets !== undefined,
    twinOf: s.twins.length === 0 ? undefined : (delivery, from) => twinOf(s, twinned, delivery, from),
    ...(options.window === undefined ? {} : { window: options.window }),
  });
  const brokerUp = await d.broker.start();
  if (brokerUp.kind === "error") throw brokerUp.error;
  await d.openBalances(customersOf(s.events));
  for (const consumer of d.consumers) {
    const started = await consumer.start();
    if (started.kind === "error") rethrowFrom(`starting consumer ${consumer.id}`, started.error);
  }
  const redisFaults =
    options.window === undefined ? undefined : { redis: options.window.redis, plan: options.window.plan };
  const faults = applyFaults(ctx, s.plan, d.db, s.dbPlan, redisFaults);
  const producer = world.addNode<Env>(PRODUCER, (env) => env);
  await producer.start();
  const script = { events: s.events, resendAfterMs: s.resendAfterMs, sendGapMs: s.sendGapMs, queueCount: s.queueCount };
  const sent = await runProducer(
    ctx.history,
    producer,
    BROKER,
    script,
    () => faults.endMs + GIVE_UP_MS,
    () => world.nowMs,
  );
  await faults.healed();
  const stuck = await drain(ctx, d);
  await world.sleep(SETTLE_MS);
  d.closePending();

  const effects = checkEffects({
    sent,
    applications: applicationsOf(d.db),
    balances: d.db.rows(TABLES.balances),
    openingCents: 0,
    handledOps: (event) =>
      d.deliveries
        .filter((e) => e.delivery.event.orderId === event.orderId && e.delivery.event.step === event.step)
        .map((e) => e.op),
  });
  const deliveries = d.deliveries.map((entry) => entry.delivery);
  const keys = options.keyOf === undefined ? [] : checkKeys([...deliveries, ...gluedFieldProbes()], options.keyOf);
  const businessKeys = new Set(sent.map((operation) => standInKeyOf(operation.event)));
  const writes = options.checkWrites ? checkWritesOf(d.db.history(), s.consumers, businessKeys) : [];
  const offsets = options.checkOffsets?.(d) ?? [];
  const window = options.window?.check(d, sent) ?? [];
  const answers = checkAnswers(handlerAnswersOf(d), options.claimAnswers ?? []);
  if (stuck === null) return [...effects, ...keys, ...writes, ...offsets, ...window, ...answers];
  // Not drained: an operation not applied yet may still be on its way, so no lost write is claimed.
  return [
    ...effects.filter((a) => a.name !== "lost write"),
    ...keys,
    ...writes,
    ...offsets,
    ...window,
    ...answers,
    notLive(d, stuck, options.notLiveAdvice),
  ];
}

/** Every answer a handler gave, with the message it was about. */
function handlerAnswersOf(d: Deployment): Answered[] {
  const found: Answered[] = [];
  for (const [queueId, byOffset] of d.answers)
    for (const [queueOffset, answers] of byOffset) {
      const handed = d.deliveries.find((e) => e.delivery.queueId === queueId && e.delivery.queueOffset === queueOffset);
      const message = handed === undefined ? "" : `${handed.delivery.messageId} `;
      const who = `the handler of ${message}(${TOPIC}/${queueId}:${queueOffset})`;
      for (const answer of answers) found.push({ who, answer });
    }
  return found;
}

/**
 * The twin of a message's first delivery, if its operation has one planned and not used yet: to
 * the next consumer by name (or the same one, alone in its group).
 */
function twinOf(s: ConsumeScenario, twinned: Set<TwinPlan>, delivery: Delivery, from: string): Twin | null {
  const plan = s.twins.find((t) => {
    const event = s.events[t.event];
    return event?.orderId === delivery.event.orderId && event.step === delivery.event.step && !twinned.has(t);
  });
  if (plan === undefined) return null;
  twinned.add(plan);
  const others = s.consumers.filter((c) => c !== from);
  return { to: others[0] ?? from, delayMs: plan.delayMs };
}

/**
 * Waits until every queue's committed offset has reached its end; returns the queues that had not
 * after DRAIN_MS (null: drained).
 */
async function drain(ctx: TestContext<unknown>, d: Deployment): Promise<QueueProgress[] | null> {
  const deadline = ctx.world.nowMs + DRAIN_MS;
  let last: QueueProgress[] = [];
  for (;;) {
    const progress = await d.progress();
    if (progress !== null) {
      last = progress.filter((q) => q.committed < q.end);
      if (last.length === 0) return null;
    }
    if (ctx.world.nowMs >= deadline) return last;
    await ctx.world.sleep(10);
  }
}

const HANDLER_ADVICE =
  'A handler must answer "done" once the effect is durable, including when the key was already claimed';

function notLive(d: Deployment, stuck: readonly QueueProgress[], advice = HANDLER_ADVICE): Anomaly {
  const queues = stuck.map((q) => {
    const handed = d.deliveries.filter(
      (e) => e.delivery.queueId === q.queueId && e.delivery.queueOffset === q.committed,
    );
    const head = `${TOPIC}/${q.queueId}'s committed offset is still ${q.committed} of ${q.end}`;
    const last = handed.at(-1);
    if (last === undefined) return `${head}: the message at offset ${q.committed} was never handed to a handler`;
    const what = `${describeEvent(last.delivery.event)} (message ${last.delivery.messageId} at offset ${q.committed})`;
    const answers = d.answers.get(last.delivery.queueId)?.get(last.delivery.queueOffset) ?? [];
    const done = answers.filter((a) => a === "done").length;
    const told =
      done > 0
        ? `answered done ${plural(done, "time")}, yet the offset did not move past it`
        : `never answered done (${answers.length === 0 ? "no answer at all" : answers.join(", ")})`;
    return `${head}: ${what} was handed to a handler ${plural(handed.length, "time")} and ${told}`;
  });
  return anomaly(
    "not live",
    `${DRAIN_MS} ms after the faults healed and every message was sent, ${queues.join("; ")}. ${advice}`,
  );
}
