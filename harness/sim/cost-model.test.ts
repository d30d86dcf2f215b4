import { describe, expect, it } from "vitest";
import type { Env } from "../env.ts";
import { approxBytes, DiskCostModel, NetCostModel } from "./cost-model.ts";
import { inBootedNode, simulate } from "./testing.ts";
import { World } from "./world.ts";

/** Round numbers, so that every expected time below can be checked by hand. */
const disk = new DiskCostModel({ callMs: 0.04, bytesPerMs: 1_000_000, fsyncMs: 0.5, fsyncBytesPerMs: 100_000 });
const net = new NetCostModel({ messageMs: 0.05, linkBytesPerMs: 1_000 });

describe("cost model: the formulas", () => {
  it("a disk call costs its fixed part plus its bytes over the bandwidth", () => {
    expect(disk.callMs(0)).toBeCloseTo(0.04);
    expect(disk.callMs(1_000_000)).toBeCloseTo(1.04);
    expect(disk.metadataMs()).toBeCloseTo(0.04);
  });

  it("an fsync costs its fixed part plus its dirty bytes over the device's bandwidth", () => {
    expect(disk.fsyncMs(0)).toBeCloseTo(0.5);
    expect(disk.fsyncMs(100_000)).toBeCloseTo(1.5);
  });

  it("the best write time counts one fixed cost per call", () => {
    expect(disk.bestWriteMs(1_000_000, 1_000)).toBeCloseTo(1_000 * 0.04 + 1);
    expect(disk.bestWriteMs(1_000_000, 1_000_000)).toBeCloseTo(0.04 + 1);
  });

  it("a message costs its fixed latency plus its size over the link", () => {
    expect(net.messageMs(0)).toBeCloseTo(0.05);
    expect(net.messageMs(2_000)).toBeCloseTo(2.05);
  });

  it("approximates a body's size: bytes by length, containers by their parts, cycles once", () => {
    expect(approxBytes(new Uint8Array(1_000))).toBe(1_000);
    expect(approxBytes({ body: new Uint8Array(1_000) })).toBeGreaterThan(1_000);
    expect(approxBytes(["a".repeat(100)])).toBeGreaterThan(approxBytes(["a"]));
    const cyclic: { self?: unknown; data: Uint8Array } = { data: new Uint8Array(10) };
    cyclic.self = cyclic;
    expect(approxBytes(cyclic)).toBeLessThan(40);
  });
});

/** Simulated ms a body takes on a world's disk whose profile carries `disk`. */
async function elapsedMs(body: (env: Env) => Promise<void>): Promise<number> {
  return inBootedNode({ disk: { cost: disk } }, async ({ world, env }) => {
    const started = world.nowMs;
    await body(env);
    return world.nowMs - started;
  });
}

describe("cost model: the simulated disk", () => {
  it("one large write is cheaper than the same bytes in many small ones", async () => {
    const big = await elapsedMs(async (env) => {
      await env.disk.create("f");
      await env.disk.write("f", 0, new Uint8Array(100_000));
    });
    const small = await elapsedMs(async (env) => {
      await env.disk.create("f");
      for (let i = 0; i < 100; i++) await env.disk.write("f", i * 1_000, new Uint8Array(1_000));
    });
    // create + one write: 0.04 + (0.04 + 0.1); create + 100 writes: 0.04 + 100 * 0.04 + 0.1.
    expect(big).toBeCloseTo(0.18, 6);
    expect(small).toBeCloseTo(4.14, 6);
  });

  it("a write's cost grows with its bytes", async () => {
    const times: number[] = [];
    for (const bytes of [1_000, 10_000, 100_000]) {
      times.push(
        await elapsedMs(async (env) => {
          await env.disk.create("f");
          await env.disk.write("f", 0, new Uint8Array(bytes));
        }),
      );
    }
    expect(times.map((t) => Number(t.toFixed(6)))).toEqual([0.081, 0.09, 0.18]);
  });

  it("an fsync's cost grows with the dirty bytes it must write, and counts each byte once", async () => {
    const seen = await inBootedNode({ disk: { cost: disk } }, async ({ world, node, env }) => {
      await env.disk.create("f");
      await env.disk.write("f", 0, new Uint8Array(50_000));
      let started = world.nowMs;
      await env.disk.fsync("f");
      const dirty = world.nowMs - started;
      started = world.nowMs;
      await env.disk.fsync("f");
      const clean = world.nowMs - started;
      // Two fsyncs called together: the first writes the 10,000 bytes, the second has none left.
      await env.disk.write("f", 0, new Uint8Array(10_000));
      started = world.nowMs;
      await Promise.all([env.disk.fsync("f"), env.disk.fsync("f")]);
      const pair = world.nowMs - started;
      return { dirty, clean, pair, stats: { ...node.diskStats } };
    });
    expect(seen.dirty).toBeCloseTo(0.5 + 0.5, 6);
    expect(seen.clean).toBeCloseTo(0.5, 6);
    expect(seen.pair).toBeCloseTo(0.5 + 0.1 + 0.5, 6);
    expect(seen.stats).toMatchObject({ writeCalls: 2, writeBytes: 60_000, fsyncs: 4, fsyncedBytes: 60_000 });
  });

  it("without a cost model, a write costs the same whatever its size (today's behaviour)", async () => {
    const times: number[] = [];
    for (const bytes of [1, 1_000_000]) {
      times.push(
        await inBootedNode({ disk: { writeMs: 0.02, metadataMs: 0.01 } }, async ({ world, env }) => {
          await env.disk.create("f");
          const started = world.nowMs;
          await env.disk.write("f", 0, new Uint8Array(bytes));
          return world.nowMs - started;
        }),
      );
    }
    expect(times[0]).toBeCloseTo(0.02, 9);
    expect(times[1]).toBeCloseTo(0.02, 9);
  });
});

describe("cost model: the simulated network", () => {
  /** When each of `sizes` arrives, sent at once from a to b in that order. */
  async function arrivals(sizes: readonly number[]): Promise<number[]> {
    const world = new World({ seed: 1, net: { cost: net } });
    const a = world.addNode<Env>("a", (env) => env);
    const b = world.addNode<Env>("b", (env) => env);
    const seen: number[] = [];
    await simulate(world, async () => {
      await a.start();
      await b.start();
      await b.invoke((env) => {
        env.net.onMessage(() => {
          seen.push(world.nowMs);
        });
      });
      const sentAtMs = world.nowMs;
      await a.invoke((env) => {
        for (const size of sizes) env.net.send("b", new Uint8Array(size));
      });
      await world.sleep(100);
      for (let i = 0; i < seen.length; i++) seen[i] = (seen[i] as number) - sentAtMs;
    });
    return seen;
  }

  it("a message takes its fixed latency plus its size over the link", async () => {
    const [small] = await arrivals([10]);
    const [large] = await arrivals([10_000]);
    expect(small).toBeCloseTo(0.05 + 0.01, 6);
    expect(large).toBeCloseTo(0.05 + 10, 6);
  });

  it("messages on one link queue behind each other's bytes", async () => {
    const times = await arrivals([5_000, 5_000]);
    expect(times[0]).toBeCloseTo(5.05, 6);
    expect(times[1]).toBeCloseTo(10.05, 6);
  });
});
