/**
 * The tests every service's fault plans pass (db-plan.test.ts, redis-plan.test.ts): drawn from a
 * seed, sorted by time, within the shape's bounds; shrunk to the one event that matters. And
 * `underPlan`, a client of the service under a plan, for the tests of what each plan does.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import type { Env } from "../env.ts";
import { outcomeOn } from "../sim/service-testing.ts";
import { simulate } from "../sim/testing.ts";
import { World } from "../sim/world.ts";
import { History } from "../workloads/history.ts";
import type { ActiveSideFaults, SidePlan, SidePlanShape } from "./side-plan.ts";

/** Adds the two tests to the current `describe`; returns the 200 plans drawn, for more checks. */
export function itDrawsAndShrinks<TKind extends string, TEvent extends { atMs: number; kind: TKind }>(
  arb: (shape: SidePlanShape<TKind>) => fc.Arbitrary<SidePlan<TEvent>>,
  shape: SidePlanShape<TKind> & { nodes: readonly [string, string] },
  cutKind: TKind,
): void {
  it("are drawn from a seed, sorted by time, within the shape's bounds", () => {
    const [first] = fc.sample(arb(shape), { seed: 5, numRuns: 1 });
    expect(fc.sample(arb(shape), { seed: 5, numRuns: 1 })[0]).toEqual(first);
    for (const plan of fc.sample(arb(shape), { seed: 9, numRuns: 200 })) {
      const times = plan.events.map((e) => e.atMs);
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(plan.events.length).toBeLessThanOrEqual(shape.eventsMax);
      for (const event of plan.events) {
        expect(event.atMs).toBeLessThan(shape.windowMs);
        if ("node" in event) expect(shape.nodes).toContain(event.node);
      }
    }
  });

  it("shrink to the event that matters", () => {
    const [, second] = shape.nodes;
    const isCutOfSecond = (e: TEvent): boolean => e.kind === cutKind && "node" in e && e.node === second;
    const result = fc.check(
      fc.property(arb(shape), (plan) => !plan.events.some(isCutOfSecond)),
      { seed: 3, numRuns: 200 },
    );
    expect(result.failed).toBe(true);
    expect((result.counterexample?.[0] as SidePlan<TEvent> | undefined)?.events).toEqual([
      { atMs: 0, kind: cutKind, node: second, forMs: 1 },
    ]);
  });
}

/** A client of a service under one of its plans, as `underPlan` hands it to the test. */
export interface PlanRun<TService, TApi> {
  service: TService;
  /** A call on the client's current process: its result, an error's name, or how the process ended. */
  call<T>(run: (api: TApi) => Promise<T>): Promise<T | string>;
  /** Sleeps until `ms` after the plan was applied. */
  until(ms: number): Promise<void>;
  /** Sleeps `ms` from now. */
  sleep(ms: number): Promise<void>;
  /** The plan under way. */
  faults: ActiveSideFaults;
}

/** A service of a fresh world (seed 1), one client node of it, and how its plan is applied. */
export interface PlanSetup<TService, TApi> {
  nodeId: string;
  service(world: World): TService;
  connect(service: TService, env: Env): TApi;
  apply(world: World, service: TService, history: History): ActiveSideFaults;
}

/**
 * Starts the client, applies the plan, and runs `body` in simulated time; returns what `body`
 * returned, what the plan said in the timeline, and the service.
 */
export async function underPlan<TService, TApi, T>(
  setup: PlanSetup<TService, TApi>,
  body: (run: PlanRun<TService, TApi>) => Promise<T>,
): Promise<{ seen: T; said: string[]; service: TService }> {
  const world = new World({ seed: 1 });
  const service = setup.service(world);
  const node = world.addNode(setup.nodeId, (env: Env): TApi => setup.connect(service, env));
  const history = new History(() => world.nowMs);
  const seen = await simulate(world, async () => {
    await node.start();
    const startMs = world.nowMs;
    const faults = setup.apply(world, service, history);
    const until = (ms: number): Promise<void> => world.sleep(startMs + ms - world.nowMs);
    const sleep = (ms: number): Promise<void> => world.sleep(ms);
    return body({ service, call: (run) => outcomeOn(node, run), until, sleep, faults });
  });
  return { seen, said: history.nemesisSaid(), service };
}
