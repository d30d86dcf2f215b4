import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Env } from "../env.ts";
import { envOf } from "../sim/testing.ts";
import { World } from "../sim/world.ts";
import { History } from "../workloads/history.ts";
import { applyPlan, describePlan, type FaultPlan, planArb, planEndMs } from "./plan.ts";

describe("fault plans", () => {
  const shape = {
    nodes: ["a", "b"],
    windowMs: 100,
    kinds: ["crash", "powerLoss", "pause", "partition", "fsyncFails", "diskFull", "skew"] as const,
    maxEvents: 6,
    maxNetRates: { dropRate: 0.2, duplicateRate: 0.1, reorderRate: 0.1 },
  };

  it("are drawn from a seed, sorted by time, and the same seed gives the same plan", () => {
    const [first] = fc.sample(planArb(shape), { seed: 11, numRuns: 1 });
    const [again] = fc.sample(planArb(shape), { seed: 11, numRuns: 1 });
    expect(again).toEqual(first);
    const times = first?.events.map((e) => e.atMs) ?? [];
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(first?.net?.dropRate).toBeLessThanOrEqual(0.2);
  });

  it("shrink to the events that matter (fast-check's shrinking, not ours)", () => {
    // A property that fails whenever some plan contains a power loss on b: the minimal plan is one event.
    const result = fc.check(
      fc.property(planArb(shape), (plan) => !plan.events.some((e) => e.kind === "powerLoss" && e.node === "b")),
      { seed: 3, numRuns: 200 },
    );
    expect(result.failed).toBe(true);
    const minimal = result.counterexample?.[0] as FaultPlan;
    expect(minimal.events).toHaveLength(1);
    expect(minimal.events[0]).toMatchObject({ kind: "powerLoss", node: "b", atMs: 0, downMs: 1 });
  });

  it("are printed in words", () => {
    const lines = describePlan({
      events: [
        { atMs: 4, kind: "powerLoss", node: "n1", downMs: 3 },
        { atMs: 9, kind: "partition", sideA: ["a"], sideB: ["b"], forMs: 20 },
      ],
      net: { dropRate: 0.05, duplicateRate: 0, reorderRate: 0 },
    });
    expect(lines[0]).toContain("5.0% of messages lost");
    expect(lines[1]).toMatch(/at 4 ms\s+n1 loses power/);
    expect(lines[2]).toContain("network partition {a} | {b} for 20 ms");
  });

  it("are applied to a world: each fault happens at its time and is recorded in the history", async () => {
    const world = new World({ seed: 1 });
    const node = world.addNode<Env>("a", (env) => env);
    world.addNode<Env>("b", (env) => env);
    const history = new History(() => world.nowMs);
    const plan: FaultPlan = {
      events: [
        { atMs: 10, kind: "crash", node: "a", downMs: 5 },
        { atMs: 30, kind: "pause", node: "a", forMs: 10 },
        { atMs: 50, kind: "fsyncFails", node: "a", count: 1, forMs: 5 },
      ],
    };
    const seen: string[] = [];
    await world.run(async () => {
      await node.start();
      await world.node("b").start();
      applyPlan(world, plan, history);
      await world.sleep(12);
      seen.push(`12: up=${node.isUp}`);
      await world.sleep(5);
      seen.push(`17: up=${node.isUp} incarnation=${(await envOf(node)).incarnation}`);
      await world.sleep(18);
      seen.push(`35: paused=${node.isPaused}`);
      await world.sleep(16);
      seen.push(`51: failNextFsyncs=${node.disk.failNextFsyncs}`);
      await world.sleep(10);
      seen.push(`61: failNextFsyncs=${node.disk.failNextFsyncs}`);
    });
    expect(seen).toEqual([
      "12: up=false",
      "17: up=true incarnation=2",
      "35: paused=true",
      "51: failNextFsyncs=1",
      "61: failNextFsyncs=0",
    ]);
    expect(history.timeline.map((e) => (e.kind === "nemesis" ? `${e.event.atMs} ${e.event.description}` : ""))).toEqual(
      [
        "10 a crashes (process killed), restarts 5 ms later",
        "15 a restarts",
        "30 a pauses",
        "40 a resumes after 10 ms",
        "50 the next 1 fsync(s) on a will fail with EIO",
      ],
    );
    expect(planEndMs(plan)).toBe(55);
  });
});
