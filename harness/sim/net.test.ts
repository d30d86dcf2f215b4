import { describe, expect, it } from "vitest";
import type { Env } from "../env.ts";
import type { SimNode } from "./node.ts";
import { envOf, simulate } from "./testing.ts";
import { World } from "./world.ts";

type WorldOptions = ConstructorParameters<typeof World>[0];

/** Runs `body` in a world whose nodes a and b have both booted, each to its env. */
async function inPair<T>(
  options: WorldOptions,
  body: (pair: { world: World; a: SimNode<Env>; b: SimNode<Env>; envA: Env; envB: Env }) => Promise<T>,
): Promise<T> {
  const world = new World(options);
  const a = world.addNode<Env>("a", (env) => env);
  const b = world.addNode<Env>("b", (env) => env);
  return simulate(world, async () => {
    await a.start();
    await b.start();
    return body({ world, a, b, envA: await envOf(a), envB: await envOf(b) });
  });
}

/** Sends `count` numbered one-way messages from a to b and returns what b received, in order. */
async function sendMany(options: WorldOptions, count: number, during?: (world: World) => void) {
  return inPair(options, async ({ world, envA, envB }) => {
    const received: number[] = [];
    envB.net.onMessage((_from, message) => received.push(message as number));
    during?.(world);
    for (let i = 0; i < count; i++) {
      envA.net.send("b", i);
      await world.sleep(1);
    }
    await world.sleep(200);
    return received;
  });
}

describe("network", () => {
  it("delivers one-way messages after a delay, in order when nothing interferes", async () => {
    const received = await sendMany({ seed: 1 }, 20);
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("drops messages at the drop rate", async () => {
    const received = await sendMany({ seed: 2, net: { dropRate: 0.5 } }, 200);
    expect(received.length).toBeGreaterThan(50);
    expect(received.length).toBeLessThan(150);
  });

  it("duplicates messages at the duplicate rate", async () => {
    const received = await sendMany({ seed: 3, net: { duplicateRate: 0.5 } }, 100);
    expect(received.length).toBeGreaterThan(120);
    expect(new Set(received).size).toBe(100);
  });

  it("reorders messages held back at the reorder rate", async () => {
    const received = await sendMany({ seed: 4, net: { reorderRate: 0.3, reorderDelayMs: 50 } }, 100);
    expect(received.length).toBe(100);
    expect(received).not.toEqual([...received].sort((x, y) => x - y));
  });

  it("a two-way partition drops everything between the sides until it heals", async () => {
    const received = await sendMany({ seed: 5 }, 30, (world) => {
      world.at(world.nowMs + 10, "cut", () => world.network.partition(["a"], ["b"]));
      world.at(world.nowMs + 20, "heal", () => world.network.heal());
    });
    expect(received.length).toBeLessThan(25);
    expect(received).toContain(0);
    expect(received).toContain(29);
  });

  it("a one-way partition drops one direction only", async () => {
    const seen = await inPair({ seed: 6 }, async ({ world, envA, envB }) => {
      const atA: unknown[] = [];
      const atB: unknown[] = [];
      envA.net.onMessage((_f, m) => atA.push(m));
      envB.net.onMessage((_f, m) => atB.push(m));
      world.network.block("a", "b");
      envA.net.send("b", "a->b");
      envB.net.send("a", "b->a");
      await world.sleep(50);
      return { atA, atB };
    });
    expect(seen).toEqual({ atA: ["b->a"], atB: [] });
  });

  it("copies messages: the receiver never shares the sender's objects", async () => {
    const seen = await inPair({ seed: 7 }, async ({ world, envA, envB }) => {
      let got: { n: number } | undefined;
      envB.net.onMessage((_f, m) => {
        got = m as { n: number };
      });
      const sent = { n: 1 };
      envA.net.send("b", sent);
      sent.n = 2;
      await world.sleep(50);
      return { got, same: got === sent };
    });
    expect(seen).toEqual({ got: { n: 1 }, same: false });
  });

  it("answers requests; a request with no reply in time resolves as maybe, not as a failure", async () => {
    const seen = await inPair({ seed: 8 }, async ({ world, envA, envB }) => {
      let handled = 0;
      envB.net.onRequest(async (_from, request) => {
        handled++;
        if (request === "slow") await envB.clock.sleep(100);
        return `re:${String(request)}`;
      });
      const fast = await envA.net.request<string>("b", "hi", { timeoutMs: 50 });
      const slow = await envA.net.request<string>("b", "slow", { timeoutMs: 50 });
      world.network.block("b", "a");
      const lostReply = await envA.net.request<string>("b", "x", { timeoutMs: 50 });
      return { fast, slow, lostReply, handled };
    });
    expect(seen.fast).toEqual({ kind: "ok", reply: "re:hi" });
    expect(seen.slow).toEqual({ kind: "maybe", reason: "timeout" });
    // The server did act on the request whose reply was lost: that is why it is "maybe".
    expect(seen.lostReply).toEqual({ kind: "maybe", reason: "timeout" });
    expect(seen.handled).toBe(3);
  });

  it("a crashed node's requests never settle, and replies never reach its next incarnation", async () => {
    const seen = await inPair({ seed: 9 }, async ({ world, a, envA, envB }) => {
      envB.net.onRequest(async () => {
        await envB.clock.sleep(10);
        return "late";
      });
      let settled = false;
      void envA.net.request("b", "q", { timeoutMs: 1000 }).then(() => {
        settled = true;
      });
      await world.sleep(1);
      a.crash();
      await a.start();
      await world.sleep(2000);
      return { settled };
    });
    expect(seen.settled).toBe(false);
  });

  it("messages to a node that is down are lost", async () => {
    const seen = await inPair({ seed: 10 }, async ({ world, b, envA }) => {
      b.crash();
      envA.net.send("b", 1);
      await world.sleep(20);
      await b.start();
      const envB = await envOf(b);
      const got: unknown[] = [];
      envB.net.onMessage((_f, m) => got.push(m));
      envA.net.send("b", 2);
      await world.sleep(20);
      return got;
    });
    expect(seen).toEqual([2]);
  });
});
