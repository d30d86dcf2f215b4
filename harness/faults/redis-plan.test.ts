/**
 * Redis fault plans are drawn from a seed, shrink, read in words, and do to the simulated Redis
 * what they say, when they say, and then stop.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Redis } from "../redis.ts";
import { SimRedis } from "../sim/redis.ts";
import { type RedisFaultPlan, redisPlans } from "./redis-plan.ts";
import { itDrawsAndShrinks, type PlanSetup, underPlan } from "./side-plan-testing.ts";

const shape = {
  nodes: ["c1", "c2"] as const,
  windowMs: 100,
  kinds: ["redisCut", "redisRestart", "redisLoseReplies", "redisSkew", "redisEvict"] as const,
  eventsMax: 5,
  outageMsMax: 80,
};

/** Client c1 of a fresh Redis under `plan`. */
function onePlan(plan: RedisFaultPlan): PlanSetup<SimRedis, Redis> {
  return {
    nodeId: "c1",
    service: (world) => new SimRedis(world),
    connect: (redis, env) => redis.connect(env),
    apply: (world, redis, history) => redisPlans.apply(world, redis, plan, history),
  };
}

describe("Redis fault plans", () => {
  itDrawsAndShrinks(redisPlans.arb, shape, "redisCut");

  it("draw every kind, each lasting or jumping within the shape's longest outage", () => {
    const kinds = new Set<string>();
    for (const plan of fc.sample(redisPlans.arb(shape), { seed: 9, numRuns: 200 })) {
      for (const event of plan.events) {
        kinds.add(event.kind);
        for (const ms of [
          "forMs" in event ? event.forMs : 1,
          "downMs" in event ? event.downMs : 1,
          "deltaMs" in event ? event.deltaMs : 1,
        ]) {
          expect(ms).toBeGreaterThanOrEqual(1);
          expect(ms).toBeLessThanOrEqual(80);
        }
      }
    }
    expect([...kinds].sort()).toEqual([...shape.kinds].sort());
  });

  it("are printed in words, and end when their last outage does (a jump or an eviction is instant)", () => {
    const plan: RedisFaultPlan = {
      events: [
        { atMs: 5, kind: "redisCut", node: "c1", forMs: 20 },
        { atMs: 10, kind: "redisRestart", downMs: 30 },
        { atMs: 12, kind: "redisLoseReplies", node: "c2", count: 1, forMs: 5 },
        { atMs: 20, kind: "redisSkew", deltaMs: 60 },
        { atMs: 50, kind: "redisEvict", count: 2 },
      ],
    };
    expect(redisPlans.describe(plan)).toEqual([
      "at 5 ms      c1 cannot reach Redis for 20 ms (what it has in flight is lost)",
      "at 10 ms     Redis restarts (down 30 ms; every key is lost)",
      "at 12 ms     the next 1 Redis command of c2 in 5 ms run, and the replies are lost",
      "at 20 ms     Redis's clock jumps 60 ms forward (keys expire that much early)",
      "at 50 ms     Redis evicts up to 2 keys with an expiry, soonest deadline first",
    ]);
    // The restart is over at 40 ms, the eviction at 50 ms; the jump at 20 ms lasts no time (else 80).
    expect(redisPlans.endMs(plan)).toBe(50);
  });

  it("do what they say to Redis, and stop: a cut, a lost reply, a jump, an eviction, then nothing", async () => {
    const plan: RedisFaultPlan = {
      events: [
        { atMs: 0, kind: "redisCut", node: "c1", forMs: 300 },
        { atMs: 400, kind: "redisLoseReplies", node: "c1", count: 1, forMs: 100 },
        { atMs: 600, kind: "redisSkew", deltaMs: 200 },
        { atMs: 700, kind: "redisEvict", count: 1 },
      ],
    };
    const { seen, said } = await underPlan(onePlan(plan), async ({ service: redis, call, until, sleep, faults }) => {
      await until(1);
      const whileCut = await call((r) => r.set("a", "1"));
      await until(401);
      const replyLost = await call((r) => r.set("b", "1", { pxMs: 250 }));
      const next = await call((r) => r.set("c", "1", { pxMs: 10_000 }));
      await call((r) => r.set("d", "1", { pxMs: 20_000 }));
      await until(601);
      const afterJump = await call((r) => r.get("b"));
      await faults.healed();
      await sleep(1);
      return { whileCut, replyLost, next, afterJump, keys: redis.snapshot().map((k) => k.key) };
    });
    expect(seen).toEqual({
      whileCut: "RedisUnavailable",
      replyLost: "RedisOutcomeUnknown",
      next: "OK",
      // b would have lived until about 650 ms; the jump at 600 ms ended it.
      afterJump: null,
      // The eviction took c, the soonest deadline left; d stays.
      keys: ["d"],
    });
    expect(said).toEqual([
      "c1 cannot reach Redis for 300 ms (what it has in flight is lost)",
      "c1's cut from Redis ends",
      "the next 1 Redis command of c1 in 100 ms run, and the replies are lost",
      "Redis's clock jumps 200 ms forward (keys expire that much early)",
      "Redis evicts up to 1 key with an expiry, soonest deadline first",
    ]);
  });

  it("a lost-reply fault not spent within its window is disarmed", async () => {
    const plan: RedisFaultPlan = { events: [{ atMs: 0, kind: "redisLoseReplies", node: "c1", count: 2, forMs: 10 }] };
    const { seen } = await underPlan(onePlan(plan), async ({ call, faults }) => {
      await faults.healed();
      return call((r) => r.set("k", "1"));
    });
    expect(seen).toBe("OK");
  });
});
