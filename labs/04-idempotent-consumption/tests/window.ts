/**
 * Part L4.D's additions to the consumer workload (consume.ts): Redis (SimRedis) with its own fault
 * plan, the pricing service, and the window's checks (check-window.ts) after check-effects.ts.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { type RedisFaultPlan, type RedisPlanShape, redisPlans } from "#harness/faults/redis-plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { SimRedis } from "#harness/sim/redis.ts";
import { doneKey, leaseKey, TIMING } from "../provided.ts";
import { applicationsOf } from "./check-effects.ts";
import {
  checkEarlyDones,
  checkQuoteOverlaps,
  checkTakenLeases,
  checkUnleasedOverlaps,
  checkWastedQuotes,
  type Handling,
  tenuresOf,
} from "./check-window.ts";
import {
  type ConsumeScenario,
  type ConsumeShape,
  consumeScenarioArb,
  describeConsume,
  type WindowRun,
} from "./consume.ts";
import type { Deployment } from "./deployment.ts";
import { openPricing, type QuoteCall } from "./pricing.ts";
import { WatchedRedis } from "./redis-troubles.ts";
import { standInKey } from "./stand-ins.ts";

export interface WindowScenario extends ConsumeScenario {
  redisPlan: RedisFaultPlan;
}

export function windowScenarioArb(shape: ConsumeShape, redis: RedisPlanShape): fc.Arbitrary<WindowScenario> {
  return fc.tuple(consumeScenarioArb(shape), redisPlans.arb(redis)).map(([s, redisPlan]) => ({
    ...s,
    // Faults aimed at a consumer this scenario does not run would do nothing: aim them at c1.
    redisPlan: {
      events: redisPlan.events.map((e) => ("node" in e && !s.consumers.includes(e.node) ? { ...e, node: "c1" } : e)),
    },
  }));
}

export function describeWindow(s: WindowScenario): string[] {
  return [...redisPlans.describe(s.redisPlan), ...describeConsume(s)];
}

/** Redis, the pricing service and the checks of one run. */
export function openWindow(ctx: TestContext<unknown>, s: WindowScenario): WindowRun {
  const redis = new WatchedRedis(ctx.world);
  const pricing = openPricing(ctx.world, ctx.rng.fork("pricing"), () => redis.serverNowMs);
  return {
    redis,
    pricing,
    plan: s.redisPlan,
    check(d): Anomaly[] {
      const tenures = tenuresOf(redis.history, redis.incidents);
      const marks = tenuresOf(redis.history, redis.incidents, doneKey(""));
      const applications = applicationsOf(d.db);
      const handlings: Handling[] = d.deliveries.map(({ consumer, delivery, op }) => ({
        consumer,
        messageId: delivery.messageId,
        key: standInKey(delivery),
        fromMs: op.invokedAtMs,
        toMs: op.completedAtMs ?? Number.POSITIVE_INFINITY,
        done: op.output === "done",
      }));
      const overlaps = [
        ...checkTakenLeases(tenures),
        ...checkQuoteOverlaps(pricing.calls, tenures, redis.history, (call) => toldRedisFailed(d, redis, call)),
      ];
      return [
        ...checkEarlyDones(d.dones, applications),
        ...overlaps,
        // Said once: a pair the lease history already names is not named again without it.
        ...(overlaps.length > 0 ? [] : checkUnleasedOverlaps(pricing.calls, handlings, redis.troubles, TIMING.leaseMs)),
        ...checkWastedQuotes(pricing.calls, handlings, marks, applications, redis, TIMING.windowMs),
      ];
    },
  };
}

/**
 * True if the handler that made `call` had a SET of the key's lease fail (unavailable, or its
 * outcome unknown) between the start of its run and the quote: it was told Redis could not answer
 * whose the lease was. The run is the latest handler call of that message on that consumer that
 * began by the quote's start.
 */
function toldRedisFailed(d: Deployment, redis: SimRedis, call: QuoteCall): boolean {
  const runs = d.deliveries.filter(
    (e) => e.consumer === call.nodeId && e.delivery.messageId === call.messageId && e.op.invokedAtMs <= call.startMs,
  );
  const startedMs = Math.max(...runs.map((e) => e.op.invokedAtMs));
  const lease = leaseKey(call.key);
  return redis.failures.some(
    (f) =>
      f.nodeId === call.nodeId &&
      f.command.op === "set" &&
      f.command.key === lease &&
      f.atMs >= startedMs &&
      f.atMs <= call.startMs,
  );
}
