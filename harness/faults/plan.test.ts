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
    eventsMax: 6,
    netRatesMax: { dropRate: 0.2, duplicateRate: 0.1, reorderRate: 0.1 },
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

  it("an event a shrunk plan kept although it cuts nothing is printed as no fault, and applies as none", async () => {
    const plan: FaultPlan = {
      events: [
        { atMs: 1, kind: "partition", sideA: ["a", "b"], sideB: [], forMs: 5 },
        { atMs: 2, kind: "blockLink", from: "b", to: "b", forMs: 50 },
        { atMs: 3, kind: "partition", sideA: ["a"], sideB: ["b"], forMs: 20 },
      ],
    };
    const lines = describePlan(plan);
    expect(lines).toContainEqual(expect.stringMatching(/at 1 ms\s+no fault: a partition with everyone on one side/));
    expect(lines).toContainEqual(expect.stringMatching(/at 2 ms\s+no fault: a link from b to itself/));
    // The empty partition must not heal the real one at 6 ms: b stays cut off from a until 23 ms.
    const world = new World({ seed: 1 });
    const a = world.addNode<Env>("a", (env) => env);
    const b = world.addNode<Env>("b", (env) => env);
    const received: number[] = [];
    const result = await world.run(async () => {
      await a.start();
      await b.start();
      (await envOf(b)).net.onMessage((_from, message) => received.push(message as number));
      const envA = await envOf(a);
      const startMs = world.nowMs;
      applyPlan(world, plan, new History(() => world.nowMs));
      for (const atMs of [10, 15, 40]) {
        await world.sleep(startMs + atMs - world.nowMs);
        envA.net.send("b", atMs);
      }
      await world.sleep(20);
    });
    expect(result.outcome?.kind).toBe("ok");
    expect(received).toEqual([40]);
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
        "50 the next 1 fsync on a will fail with EIO",
      ],
    );
    expect(planEndMs(plan)).toBe(55);
  });
});

describe("faults aimed at gaps between calls", () => {
  it("a power loss aimed at the 4th disk call lands between that call and the next, whatever their timing", async () => {
    const world = new World({ seed: 5 });
    const node = world.addNode<Env>("n1", (env) => env);
    const history = new History(() => world.nowMs);
    const calls: string[] = [];
    await world.run(async () => {
      await node.start();
      const env = await envOf(node);
      const faults = applyPlan(
        world,
        {
          events: [
            {
              atMs: 0,
              kind: "powerLoss",
              node: "n1",
              downMs: 2,
              after: { boundary: "disk", count: 4, withinMs: 50 },
            },
          ],
        },
        history,
      );
      // A reader's calls (exists, read, size) are not counted: only calls that change the disk.
      await env.disk.create("f");
      await env.disk.fsyncDir("");
      calls.push("create, fsyncDir");
      await env.disk.exists("f");
      await env.disk.write("f", 0, new Uint8Array([1, 2, 3]));
      calls.push("write");
      await env.disk.fsync("f"); // the 4th: the power goes right after it took effect
      calls.push("fsync (never seen: the caller died first)");
      await faults.healed();
    });
    expect(calls).toEqual(["create, fsyncDir", "write"]);
    expect(node.deaths).toHaveLength(1);
    expect(node.deaths[0]?.reason).toBe("power loss");
    const fired = history.timeline.find((e) => e.kind === "nemesis");
    expect(fired?.kind === "nemesis" && fired.event.description).toBe(
      "n1 loses power (unsynced writes may be lost, torn or reordered) right after its 4th disk call since 0 ms: fsync f, restarts 2 ms later",
    );
    // The fsync took effect before the power went: the data is durable.
    const reborn = await world.run(async () => {
      const env = await envOf(node);
      return env.disk.read("f", 0, 3);
    });
    expect(reborn.outcome).toEqual({ kind: "ok", value: new Uint8Array([1, 2, 3]) });
  });

  it("a pause aimed at a disk call holds the caller until it resumes", async () => {
    const world = new World({ seed: 5 });
    const node = world.addNode<Env>("n1", (env) => env);
    const history = new History(() => world.nowMs);
    let resumedAtMs = -1;
    await world.run(async () => {
      await node.start();
      const env = await envOf(node);
      applyPlan(
        world,
        {
          events: [
            { atMs: 0, kind: "pause", node: "n1", forMs: 30, after: { boundary: "disk", count: 1, withinMs: 50 } },
          ],
        },
        history,
      );
      await node.invoke(async () => {
        await env.disk.create("f");
        resumedAtMs = world.nowMs;
      });
    });
    expect(resumedAtMs).toBeGreaterThanOrEqual(30);
  });

  it("an aimed fault is printed with its aim, and shrinks like a timed one", () => {
    expect(
      describePlan({
        events: [
          { atMs: 7, kind: "crash", node: "n1", downMs: 3, after: { boundary: "send", count: 2, withinMs: 90 } },
        ],
      }),
    ).toEqual(["from 7 ms    n1 crashes (process killed) right after its 2nd message sent, restarts 3 ms later"]);
    const shape = { nodes: ["n1"], windowMs: 100, kinds: ["crash"] as const, eventsMax: 4 };
    const result = fc.check(
      fc.property(planArb(shape), (plan) => !plan.events.some((e) => "after" in e && e.after !== undefined)),
      { seed: 9, numRuns: 200 },
    );
    const minimal = result.counterexample?.[0] as FaultPlan;
    expect(minimal.events).toEqual([
      { atMs: 0, kind: "crash", node: "n1", downMs: 1, after: { boundary: "disk", count: 1, withinMs: 100 } },
    ]);
  });
});

describe("swarm testing", () => {
  it("each seed enables its own subset of the fault kinds, and some seeds turn network faults off", () => {
    const shape = {
      nodes: ["a", "b"],
      windowMs: 100,
      kinds: ["crash", "pause", "partition", "skew"] as const,
      eventsMax: 8,
      netRatesMax: { dropRate: 0.2, duplicateRate: 0.1, reorderRate: 0.1 },
    };
    const plans = fc.sample(planArb(shape), { seed: 4, numRuns: 300 });
    const kindSets = new Set(plans.map((p) => [...new Set(p.events.map((e) => e.kind))].sort().join(",")));
    expect(kindSets.size).toBeGreaterThan(8);
    expect(plans.some((p) => p.events.length >= 4 && new Set(p.events.map((e) => e.kind)).size === 1)).toBe(true);
    expect(plans.some((p) => p.net?.dropRate === 0)).toBe(true);
    expect(plans.some((p) => (p.net?.dropRate ?? 0) > 0)).toBe(true);
  });
});

describe("the supervisor and the end of the faults", () => {
  it("restarts a node that fails to start while faults are under way; healed() waits until it runs", async () => {
    const world = new World({ seed: 2 });
    // A store that fsyncs while opening, as a careful broker does: under an injected EIO it cannot start.
    const node = world.addNode<Env>("n1", async (env) => {
      if (!(await env.disk.exists("meta"))) await env.disk.create("meta");
      await env.disk.write("meta", 0, new Uint8Array([env.incarnation]));
      await env.disk.fsync("meta");
      return env;
    });
    const history = new History(() => world.nowMs);
    let healedAtMs = -1;
    const result = await world.run(async () => {
      await node.start();
      const faults = applyPlan(
        world,
        {
          events: [
            { atMs: 1, kind: "fsyncFails", node: "n1", count: 3, forMs: 40 },
            { atMs: 2, kind: "crash", node: "n1", downMs: 1 },
          ],
        },
        history,
      );
      await faults.healed();
      healedAtMs = world.nowMs;
    });
    expect(result.labErrors).toEqual([]);
    expect(node.isUp).toBe(true);
    expect(healedAtMs).toBeGreaterThanOrEqual(41);
    const notes = history.nemesisSaid();
    expect(notes.some((n) => /n1 failed to start \(DiskError: EIO.*supervisor starts it again/.test(n))).toBe(true);
  });

  it("a node that cannot start once every fault is over is the lab's error", async () => {
    const world = new World({ seed: 2 });
    let boots = 0;
    const node = world.addNode<Env>("n1", (env) => {
      if (++boots > 1) throw new Error("cannot recover");
      return env;
    });
    const history = new History(() => world.nowMs);
    const result = await world.run(async () => {
      await node.start();
      const faults = applyPlan(world, { events: [{ atMs: 1, kind: "crash", node: "n1", downMs: 5 }] }, history);
      await faults.healed();
    });
    expect(result.labErrors.map((e) => e.where)).toEqual(["restarting n1"]);
  });
});
