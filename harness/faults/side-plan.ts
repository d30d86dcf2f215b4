/**
 * What the fault plans of the world's outside services have in common: the business database's
 * (db-plan.ts) and Redis's (redis-plan.ts). Each draws its own kinds of event and applies them to
 * its own service; both draw a plan the same way (swarm testing as in plan.ts: each seed enables
 * its own subset of the kinds, events sorted by time) and tell the workload the same way when
 * every fault is over.
 */
import fc from "fast-check";
import type { World } from "../sim/world.ts";
import { faultLimits } from "./limits.ts";

/** What a service's plan may contain (as `PlanShape` in plan.ts). */
export interface SidePlanShape<TKind extends string> {
  /** The service's clients. */
  nodes: readonly string[];
  /** Faults start in [0, windowMs) after the plan is applied. */
  windowMs: number;
  kinds: readonly TKind[];
  eventsMin?: number;
  eventsMax: number;
  /** Longest cut, downtime, or window of a counted fault. */
  outageMsMax?: number;
}

/** The arbitraries every event kind draws its fields from, within the shape's bounds. */
export interface EventFields {
  atMs: fc.Arbitrary<number>;
  node: fc.Arbitrary<string>;
  outage: fc.Arbitrary<number>;
  count: fc.Arbitrary<number>;
}

export function eventFields<TKind extends string>(shape: SidePlanShape<TKind>): EventFields {
  return {
    atMs: fc.integer({ min: 0, max: Math.max(0, shape.windowMs - 1) }),
    node: fc.constantFrom(...shape.nodes),
    outage: fc.integer({ min: 1, max: shape.outageMsMax ?? faultLimits.outageMsMaxDefault }),
    count: fc.integer({ min: 1, max: faultLimits.spoiledCallsMax }),
  };
}

/** The arbitrary of a service's plans: each seed a swarm of kinds, events sorted by time. */
export function sidePlanArb<TKind extends string, TEvent extends { atMs: number }>(
  shape: SidePlanShape<TKind>,
  eventArb: (kind: TKind, fields: EventFields) => fc.Arbitrary<TEvent>,
): fc.Arbitrary<{ events: TEvent[] }> {
  if (shape.kinds.length === 0 || shape.eventsMax === 0) return fc.constant({ events: [] });
  const fields = eventFields(shape);
  return fc.subarray([...shape.kinds], { minLength: 1 }).chain((kinds) =>
    fc
      .array(fc.oneof(...kinds.map((kind) => eventArb(kind, fields))), {
        minLength: Math.min(shape.eventsMin ?? 0, shape.eventsMax),
        maxLength: shape.eventsMax,
      })
      .map((events) => ({ events: [...events].sort((a, b) => a.atMs - b.atMs) })),
  );
}

/** A service's plan under way: when every fault is over. */
export interface ActiveSideFaults {
  readonly endMs: number;
  isHealed(): boolean;
  /** Resolves (in simulated time) once every fault is over. */
  healed(): Promise<void>;
}

/** The plan applied at `startMs` whose last fault ends `durationMs` later. */
export function activeSideFaults(world: World, startMs: number, durationMs: number): ActiveSideFaults {
  const endMs = startMs + durationMs;
  const isHealed = (): boolean => world.nowMs >= endMs;
  return {
    endMs,
    isHealed,
    healed: async () => {
      while (!isHealed()) await world.sleep(1);
    },
  };
}
