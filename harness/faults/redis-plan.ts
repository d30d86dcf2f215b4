/**
 * Fault plans for the simulated Redis (harness/sim/redis.ts), drawn and applied like the
 * database's (db-plan.ts), beside the world's own plan: a part that uses Redis draws all of them
 * and applies each. Crashes of Redis's clients, and crashes aimed right after a Redis command that
 * changed a key (boundary "redis"), are the world's own plan kinds; these are what happens to
 * Redis itself or to the way to it.
 *
 * Every event is self-contained (a cut carries its duration, a counted fault its count), so that
 * fast-check can shrink a failing plan to the events that matter; swarm testing as in plan.ts:
 * each seed enables its own subset of the kinds. What every service's plans share (drawing,
 * printing, scheduling, the cut and the restart) is side-plan.ts's; this file holds the rest.
 */
import fc from "fast-check";
import type { SimRedis } from "../sim/redis.ts";
import { plural } from "../words.ts";
import { type CutEvent, type RestartEvent, type SidePlan, type SidePlanShape, sidePlans } from "./side-plan.ts";

/** What Redis's plans have beyond a cut and a restart. */
type RedisOwnEvent =
  /** The node's next `count` commands run and their replies are lost (within `forMs`). */
  | { atMs: number; kind: "redisLoseReplies"; node: string; count: number; forMs: number }
  /** Redis's clock jumps `deltaMs` forward: keys expire that much early. */
  | { atMs: number; kind: "redisSkew"; deltaMs: number }
  /** Up to `count` keys with an expiry are evicted, soonest deadline first. */
  | { atMs: number; kind: "redisEvict"; count: number };

export type RedisFaultEvent =
  /** The node cannot reach Redis for `forMs`: what it has in flight is lost. */
  | CutEvent<"redisCut">
  /** Redis dies and is back `downMs` later, with no keys. */
  | RestartEvent<"redisRestart">
  | RedisOwnEvent;

export type RedisFaultKind = RedisFaultEvent["kind"];

/** What a Redis plan may contain (as `PlanShape` in plan.ts); a clock jump's size is an outage's. */
export type RedisPlanShape = SidePlanShape<RedisFaultKind>;

/**
 * The Redis plans: `arb` draws them (each seed a swarm of kinds), `describe` prints them,
 * `endMs` says when every event is over, `apply` schedules them on the world (side-plan.ts).
 */
export const redisPlans = sidePlans<"redisCut", "redisRestart", RedisOwnEvent, SimRedis>({
  cutKind: "redisCut",
  restartKind: "redisRestart",
  words: {
    label: "Redis",
    called: "Redis",
    cutMeans: "what it has in flight is lost",
    restartMeans: "every key is lost",
    back: "Redis is back, empty",
  },
  ownEventArb: (kind, { atMs, node, outage, count }) => {
    switch (kind) {
      case "redisLoseReplies":
        return fc.record({ atMs, kind: fc.constant(kind), node, count, forMs: outage });
      case "redisSkew":
        return fc.record({ atMs, kind: fc.constant(kind), deltaMs: outage });
      case "redisEvict":
        return fc.record({ atMs, kind: fc.constant(kind), count });
    }
  },
  describeOwn: (event) => {
    switch (event.kind) {
      case "redisLoseReplies":
        return `the next ${plural(event.count, "Redis command")} of ${event.node} in ${event.forMs} ms run, and the replies are lost`;
      case "redisSkew":
        return `Redis's clock jumps ${event.deltaMs} ms forward (keys expire that much early)`;
      case "redisEvict":
        return `Redis evicts up to ${plural(event.count, "key")} with an expiry, soonest deadline first`;
    }
  },
  // A jump or an eviction is instant.
  ownLastingMs: (event) => (event.kind === "redisLoseReplies" ? event.forMs : 0),
  strikeOwn: (redis, event, armFor) => {
    if (event.kind === "redisLoseReplies")
      armFor(event.forMs, "lost replies disarmed", redis.loseReplies(event.node, event.count));
    else if (event.kind === "redisSkew") redis.skew(event.deltaMs);
    else redis.evict(event.count);
  },
});

export type RedisFaultPlan = SidePlan<RedisFaultEvent>;
