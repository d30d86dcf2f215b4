/**
 * Part L4.D's additions to the consumer workload (consume.ts): Redis (SimRedis) with its own fault
 * plan, the pricing service, and the window's checks (check-window.ts, check-window-keys.ts) after
 * check-effects.ts.
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
import { checkKeptLeases, checkKeyNames, checkKeysWithoutExpiry } from "./check-window-keys.ts";
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
        answered: op.status === "ok",
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
        ...checkKeyNames(redis.history),
        ...checkKeysWithoutExpiry(redis.history, TIMING.requestTimeoutMs),
        ...checkKeptLeases(tenures, handlings, redis.troubles, TIMING.requestTimeoutMs, ctx.world.nowMs),
      ];
    },
  };
}

/**
 * True if the handler that made `call` had a SET of the key's lease fail as unavailable (it never
 * reached the server) between the start of its run and the quote: it was told Redis could not be
 * reached, and the contract lets it carry on without Redis, the database deciding. A SET whose
 * outcome is unknown (its reply lost, or its connection broken after sending) is no excuse: the
 * contract says to treat that lease as not held, "retryLater", and Redis may well have answered
 * another consumer's SET meanwhile. The run is the latest handler call of that message on that
 * consumer that began by the quote's start.
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
      f.definitelyNotRun &&
      f.command.op === "set" &&
      f.command.key === lease &&
      f.atMs >= startedMs &&
      f.atMs <= call.startMs,
  );
}
