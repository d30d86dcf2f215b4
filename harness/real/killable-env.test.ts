import { describe, expect, it } from "vitest";
import { createKillableEnv } from "./killable-env.ts";
import { RealNetwork } from "./net.ts";
import { settledWithin, sleep, tempDirs } from "./testing.ts";

const tempDir = tempDirs("lab-killable-");

function incarnation(network: RealNetwork, nodeId: string, number = 1, dataDir = tempDir()) {
  return createKillableEnv({ nodeId, incarnation: number, dataDir, network });
}

describe("a killable real incarnation", () => {
  it("after kill, no timer, interval or sleep it started fires, and new ones are never scheduled", async () => {
    const p = incarnation(new RealNetwork(), "p");
    const fired: string[] = [];
    p.env.clock.setTimer(5, () => fired.push("control timer"));
    await sleep(30);
    expect(fired).toEqual(["control timer"]);

    p.env.clock.setTimer(20, () => fired.push("timer"));
    p.env.clock.setInterval(5, () => fired.push("interval"));
    const slept = p.env.clock.sleep(20);
    await sleep(12);
    const ticks = fired.filter((f) => f === "interval").length;
    expect(ticks).toBeGreaterThan(0);
    expect(p.clock.scheduled).toBe(3);
    p.kill();
    expect(p.clock.scheduled).toBe(0);
    p.env.clock.setTimer(1, () => fired.push("timer after kill"));
    const sleptAfter = p.env.clock.sleep(1);
    await sleep(60);
    expect(fired.filter((f) => f !== "interval" && f !== "control timer")).toEqual([]);
    expect(fired.filter((f) => f === "interval").length).toBe(ticks);
    expect(await settledWithin(slept, 1)).toBe("pending");
    expect(await settledWithin(sleptAfter, 1)).toBe("pending");
  });

  it("after kill, it leaves the network: it hears nothing, sends nothing, and its pending request never settles", async () => {
    const network = new RealNetwork();
    const p = incarnation(network, "p");
    const b = network.join("b");
    const bHeard: unknown[] = [];
    b.onMessage((_, m) => bHeard.push(m));
    b.onRequest((_, r) => {
      bHeard.push(r);
      return new Promise(() => {}); // answers nothing: p's request stays pending until p dies
    });
    const pHeard: unknown[] = [];
    p.env.net.onMessage((_, m) => pHeard.push(m));
    b.send("p", "control");
    const pending = p.env.net.request("b", "question", { timeoutMs: 30 });
    await sleep(10);
    expect(pHeard).toEqual(["control"]);
    expect(bHeard).toEqual(["question"]);

    p.kill();
    expect(network.has("p")).toBe(false);
    b.send("p", "to a dead process");
    p.env.net.send("b", "from a dead process");
    await sleep(60);
    expect(pHeard).toEqual(["control"]);
    expect(bHeard).toEqual(["question"]);
    expect(await settledWithin(pending, 1)).toBe("pending");
  });

  it("after kill, its disk calls never settle and later ones never start; a call already started still lands", async () => {
    const dataDir = tempDir();
    const network = new RealNetwork();
    const p = incarnation(network, "p", 1, dataDir);
    await p.env.disk.create("f");
    const written = p.env.disk.write("f", 0, Uint8Array.of(7, 7, 7));
    p.kill();
    const created = p.env.disk.create("g");
    await p.filesClosed;
    await sleep(20);
    expect(await settledWithin(written, 1)).toBe("pending");
    expect(await settledWithin(created, 1)).toBe("pending");

    // The machine's disk outlives the process: the next incarnation reads what was written.
    const next = incarnation(network, "p", 2, dataDir);
    expect(next.env.incarnation).toBe(2);
    expect(await next.env.disk.list("")).toEqual(["f"]);
    expect(await next.env.disk.read("f", 0, 10)).toEqual(Uint8Array.of(7, 7, 7));
    next.kill();
    await next.filesClosed;
  });

  it("a restarted incarnation joins again and talks; killing twice does nothing", async () => {
    const network = new RealNetwork();
    const b = network.join("b");
    b.onRequest((from, r) => `${from} asked ${String(r)}`);
    const first = incarnation(network, "p");
    expect(() => incarnation(network, "p", 2)).toThrow(/already on this network/);
    first.kill();
    first.kill();
    expect(first.alive).toBe(false);
    const second = incarnation(network, "p", 2);
    expect(await second.env.net.request("b", "again", { timeoutMs: 1000 })).toEqual({
      kind: "ok",
      reply: "p asked again",
    });
    expect(await settledWithin(first.env.net.request("b", "old", { timeoutMs: 10 }), 40)).toBe("pending");
    second.kill();
  });
});
