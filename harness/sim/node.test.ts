import { describe, expect, it } from "vitest";
import type { Env } from "../env.ts";
import { SIM_EPOCH_MS } from "./clock.ts";
import { envOf, envWorld, inBootedNode, simulate } from "./testing.ts";
import { World } from "./world.ts";

describe("nodes", () => {
  it("a call in flight when the node crashes completes as 'crashed'; a call to a down node as 'down'", async () => {
    const world = new World({ seed: 1 });
    const node = world.addNode("n1", (env) => ({ slow: () => env.clock.sleep(100).then(() => "done") }));
    const seen = await simulate(world, async () => {
      await node.start();
      const inFlight = node.invoke((api) => api.slow());
      await world.sleep(10);
      node.crash();
      const crashed = await inFlight;
      const down = await node.invoke((api) => api.slow());
      await node.start();
      await world.sleep(5);
      node.powerLoss();
      return { crashed: crashed.kind, down: down.kind };
    });
    expect(seen).toEqual({ crashed: "crashed", down: "down" });
    expect(node.deaths).toEqual([
      { atMs: 10, incarnation: 1, reason: "crash" },
      { atMs: 15, incarnation: 2, reason: "power loss" },
    ]);
  });

  it("a zombie's timers never fire and its sleeps never end", async () => {
    const seen = await inBootedNode({}, async ({ world, node, env }) => {
      const fired: string[] = [];
      env.clock.setTimer(10, () => fired.push("timer"));
      void env.clock.sleep(10).then(() => fired.push("sleep"));
      node.crash();
      await world.sleep(100);
      return fired;
    });
    expect(seen).toEqual([]);
  });

  it("each restart is a new incarnation with a fresh env", async () => {
    const { world, node } = envWorld();
    const seen = await simulate(world, async () => {
      await node.start();
      const first = (await envOf(node)).incarnation;
      node.crash();
      await node.start();
      return [first, (await envOf(node)).incarnation];
    });
    expect(seen).toEqual([1, 2]);
  });

  it("a paused node does nothing while the world moves on, then sees its clock jump", async () => {
    const seen = await inBootedNode({}, async ({ world, node, env }) => {
      const ticks: number[] = [];
      env.clock.setInterval(10, () => ticks.push(Math.round(world.nowMs)));
      await world.sleep(25);
      node.pause();
      await world.sleep(100);
      node.resume();
      await world.sleep(25);
      return ticks;
    });
    // Ticks at 10 and 20; none during the pause (25..125); the held tick runs at 125, then 135, 145.
    expect(seen).toEqual([10, 20, 125, 135, 145]);
  });

  it("clocks start at a realistic epoch, and can be skewed and made to drift", async () => {
    const seen = await inBootedNode({}, async ({ world, node, env }) => {
      const start = env.clock.now();
      node.skewClock(-5000);
      const skewed = env.clock.now();
      node.setClockDrift(100_000); // 10% fast
      const before = env.clock.now();
      await world.sleep(100);
      const advanced = env.clock.now() - before;
      const t0 = world.nowMs;
      await env.clock.sleep(110); // 110 ms on a 10%-fast clock is 100 ms of true time
      return { start, skew: skewed - start, advanced, trueSleep: world.nowMs - t0 };
    });
    expect(seen.start).toBe(SIM_EPOCH_MS);
    expect(Number.isInteger(seen.start)).toBe(true);
    expect(seen.skew).toBe(-5000);
    expect(Math.abs(seen.advanced - 110)).toBeLessThanOrEqual(1); // whole milliseconds, like Date.now()
    expect(seen.trueSleep).toBeCloseTo(100);
  });

  it("a boot function that throws makes start() an error, and later calls find the node down (it never served)", async () => {
    const world = new World({ seed: 1 });
    const node = world.addNode<Env>("n1", () => {
      throw new Error("cannot boot");
    });
    const seen = await simulate(world, async () => {
      const started = await node.start();
      const call = await node.invoke((env) => env.nodeId);
      return [started.kind, call.kind];
    });
    expect(seen).toEqual(["error", "down"]);
  });

  it("errors thrown in lab timers and handlers are collected and end the run", async () => {
    const { world, node } = envWorld();
    const result = await world.run(async () => {
      await node.start();
      const env = await envOf(node);
      env.clock.setTimer(5, () => {
        throw new TypeError("oops in a timer");
      });
      await world.sleep(1000);
    });
    expect(result.labErrors).toHaveLength(1);
    expect(result.labErrors[0]?.where).toContain("timer");
    expect(result.simMs).toBe(5);
  });

  it("a promise rejection nobody awaited is a lab error", async () => {
    const { world, node } = envWorld();
    const result = await world.run(async () => {
      await node.start();
      const env = await envOf(node);
      void env.disk.read("missing", 0, 1);
      await world.sleep(10);
    });
    expect(result.labErrors.map((e) => e.where)).toEqual(["a promise nobody awaited"]);
  });
});

describe("determinism", () => {
  async function busyRun(seed: number): Promise<string> {
    const world = new World({ seed, net: { dropRate: 0.1, duplicateRate: 0.1, reorderRate: 0.2 } });
    const nodes = ["a", "b", "c"].map((id) => world.addNode<Env>(id, (env) => env));
    const result = await world.run(async () => {
      for (const n of nodes) await n.start();
      const envs = await Promise.all(nodes.map(envOf));
      for (const env of envs) {
        env.net.onRequest(async (_from, req) => {
          await env.disk.write("log", 0, Uint8Array.of(Number(req) & 0xff));
          return env.rng.int(1000);
        });
        await env.disk.create("log");
      }
      await Promise.all(
        envs.map(async (env, i) => {
          for (let k = 0; k < 30; k++)
            await env.net.request(["a", "b", "c"][(i + 1) % 3] as string, k, { timeoutMs: 5 });
        }),
      );
      nodes[1]?.powerLoss();
    });
    return result.traceDigest;
  }

  it("the same seed gives the same trace; another seed gives another", async () => {
    const first = await busyRun(42);
    expect(await busyRun(42)).toBe(first);
    expect(await busyRun(43)).not.toBe(first);
  });
});

describe("determinism guard", () => {
  it("stops lab code that calls the real clock, and names the env call to use", async () => {
    const world = new World({ seed: 1, guardRoots: [import.meta.dirname] });
    const result = await world.run(async () => {
      try {
        Date.now(); // this test file is inside a guarded root: it plays the part of lab code
      } catch {
        // swallowing the error does not hide the violation
      }
    });
    expect(result.labErrors).toHaveLength(1);
    expect(String(result.labErrors[0]?.error)).toContain("env.clock.now()");
  });

  it("lets code outside the guarded folders (libraries, the harness) use the real clock", async () => {
    const world = new World({ seed: 1, guardRoots: ["/nonexistent-lab-root/"] });
    const result = await world.run(async () => Date.now() > 0 && Math.random() >= 0);
    expect(result.labErrors).toHaveLength(0);
    expect(result.outcome).toEqual({ kind: "ok", value: true });
  });

  it("restores the real globals after the run", async () => {
    const world = new World({ seed: 1, guardRoots: [import.meta.dirname] });
    await world.run(async () => {});
    expect(() => Date.now()).not.toThrow();
  });
});
