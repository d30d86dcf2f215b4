/**
 * Fault plans for the simulated Redis (harness/sim/redis.ts), drawn and applied like the
 * database's (db-plan.ts), beside the world's own plan: a part that uses Redis draws all of them
 * and applies each. Crashes of Redis's clients, and crashes aimed right after a Redis command that
 * changed a key (boundary "redis"), are the world's own plan kinds; these are what happens to
 * Redis itself or to the way to it.
 *
 * Every event is self-contained (a cut carries its duration, a counted fault its count), so that
 * fast-check can shrink a failing plan to the events that matter; swarm testing as in plan.ts:
 * each seed enables its own subset of the kinds.
 */
import fc from "fast-check";
import type { SimRedis } from "../sim/redis.ts";
import type { World } from "../sim/world.ts";
import { plural } from "../words.ts";
import type { History } from "../workloads/history.ts";
import {
  type ActiveSideFaults,
  activeSideFaults,
  type EventFields,
  type SidePlanShape,
  sidePlanArb,
} from "./side-plan.ts";

export type RedisFaultEvent =
  /** The node cannot reach Redis for `forMs`: what it has in flight is lost. */
  | { atMs: number; kind: "redisCut"; node: string; forMs: number }
  /** Redis dies and is back `downMs` later, with no keys. */
  | { atMs: number; kind: "redisRestart"; downMs: number }
  /** The node's next `count` commands run and their replies are lost (within `forMs`). */
  | { atMs: number; kind: "redisLoseReplies"; node: string; count: number; forMs: number }
  /** Redis's clock jumps `deltaMs` forward: keys expire that much early. */
  | { atMs: number; kind: "redisSkew"; deltaMs: number }
  /** Up to `count` keys with an expiry are evicted, soonest deadline first. */
  | { atMs: number; kind: "redisEvict"; count: number };

export type RedisFaultKind = RedisFaultEvent["kind"];

export interface RedisFaultPlan {
  events: RedisFaultEvent[];
}

/** What a Redis plan may contain (as `PlanShape` in plan.ts); a clock jump's size is an outage's. */
export type RedisPlanShape = SidePlanShape<RedisFaultKind>;

/** The arbitrary of Redis plans of a shape: each seed a swarm of kinds, events sorted by time. */
export function redisPlanArb(shape: RedisPlanShape): fc.Arbitrary<RedisFaultPlan> {
  return sidePlanArb(shape, redisEventArb);
}

function redisEventArb(
  kind: RedisFaultKind,
  { atMs, node, outage, count }: EventFields,
): fc.Arbitrary<RedisFaultEvent> {
  switch (kind) {
    case "redisCut":
      return fc.record({ atMs, kind: fc.constant(kind), node, forMs: outage });
    case "redisRestart":
      return fc.record({ atMs, kind: fc.constant(kind), downMs: outage });
    case "redisLoseReplies":
      return fc.record({ atMs, kind: fc.constant(kind), node, count, forMs: outage });
    case "redisSkew":
      return fc.record({ atMs, kind: fc.constant(kind), deltaMs: outage });
    case "redisEvict":
      return fc.record({ atMs, kind: fc.constant(kind), count });
  }
}

/** What an event does, without its time. */
export function describeRedisFault(event: RedisFaultEvent): string {
  switch (event.kind) {
    case "redisCut":
      return `${event.node} cannot reach Redis for ${event.forMs} ms (what it has in flight is lost)`;
    case "redisRestart":
      return `Redis restarts (down ${event.downMs} ms; every key is lost)`;
    case "redisLoseReplies":
      return `the next ${plural(event.count, "Redis command")} of ${event.node} in ${event.forMs} ms run, and the replies are lost`;
    case "redisSkew":
      return `Redis's clock jumps ${event.deltaMs} ms forward (keys expire that much early)`;
    case "redisEvict":
      return `Redis evicts up to ${plural(event.count, "key")} with an expiry, soonest deadline first`;
  }
}

export function describeRedisPlan(plan: RedisFaultPlan): string[] {
  return plan.events.map((event) => `${`at ${event.atMs} ms`.padEnd(12)} ${describeRedisFault(event)}`);
}

/** How long after the plan is applied every event of it is over (a jump or an eviction is instant). */
export function redisPlanEndMs(plan: RedisFaultPlan): number {
  let end = 0;
  for (const event of plan.events) end = Math.max(end, event.atMs + lastingMs(event));
  return end;
}

function lastingMs(event: RedisFaultEvent): number {
  switch (event.kind) {
    case "redisCut":
    case "redisLoseReplies":
      return event.forMs;
    case "redisRestart":
      return event.downMs;
    case "redisSkew":
    case "redisEvict":
      return 0;
  }
}

/** A Redis plan under way: when every fault is over. */
export type ActiveRedisFaults = ActiveSideFaults;

/**
 * Schedules every event of the plan on the world, counting times from now, and records each in
 * the history's timeline as it happens.
 */
export function applyRedisPlan(
  world: World,
  redis: SimRedis,
  plan: RedisFaultPlan,
  history: History,
): ActiveRedisFaults {
  const startMs = world.nowMs;
  const later = (ms: number, label: string, fn: () => void): void => world.at(world.nowMs + ms, label, fn);
  for (const event of plan.events) {
    world.at(startMs + event.atMs, event.kind, () => {
      history.nemesis(describeRedisFault(event));
      switch (event.kind) {
        case "redisCut":
          redis.cut(event.node);
          later(event.forMs, "Redis reachable", () => {
            history.nemesis(`${event.node}'s cut from Redis ends`);
            redis.heal(event.node);
          });
          return;
        case "redisRestart":
          redis.restart(event.downMs);
          later(event.downMs, "Redis back", () => history.nemesis("Redis is back, empty"));
          return;
        case "redisLoseReplies": {
          const armed = redis.loseReplies(event.node, event.count);
          later(event.forMs, "lost replies disarmed", () => armed.disarm());
          return;
        }
        case "redisSkew":
          redis.skew(event.deltaMs);
          return;
        case "redisEvict":
          redis.evict(event.count);
          return;
      }
    });
  }
  return activeSideFaults(world, startMs, redisPlanEndMs(plan));
}
