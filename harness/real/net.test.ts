/**
 * The in-process network's `leave`: a node that left is a dead process. Every "never" below is
 * checked over a real wait (40 ms or more), longer than any timeout involved.
 */
import { describe, expect, it } from "vitest";
import type { RequestOutcome } from "../env.ts";
import { RealNetwork } from "./net.ts";
import { settledWithin, sleep } from "./testing.ts";

/** Nodes a and b on a new network; b records every message and request it gets, and answers "reply". */
function listeningPair() {
  const network = new RealNetwork();
  const a = network.join("a");
  const b = network.join("b");
  const heard: unknown[] = [];
  b.onMessage((_, m) => heard.push(m));
  b.onRequest((_, r) => {
    heard.push(r);
    return "reply";
  });
  return { network, a, heard };
}

describe("RealNetwork.leave", () => {
  it("a node that left sends nothing: messages and requests it makes after leaving reach no one", async () => {
    const { network, a, heard } = listeningPair();
    a.send("b", "before");
    network.leave("a");
    a.send("b", "after");
    const late = a.request("b", "late request", { timeoutMs: 10 });
    await sleep(40);
    // What was sent before leaving was on the wire already: it arrives.
    expect(heard).toEqual(["before"]);
    // Its own request never settles, not even with a timeout.
    expect(await settledWithin(late, 20)).toBe("pending");
  });

  it("a node that left receives nothing: no message is delivered, no request is answered", async () => {
    const { network, a, heard } = listeningPair();
    network.leave("b");
    a.send("b", "hello");
    expect(await a.request("b", "are you there", { timeoutMs: 30 })).toEqual({ kind: "maybe", reason: "timeout" });
    expect(heard).toEqual([]);
  });

  it("its pending requests never settle: neither the reply nor the timeout", async () => {
    const network = new RealNetwork();
    const a = network.join("a");
    const b = network.join("b");
    let answer: (reply: string) => void = () => undefined;
    const handled: string[] = [];
    b.onRequest(
      (_, r) =>
        new Promise<string>((resolve) => {
          handled.push(String(r));
          answer = resolve;
        }),
    );
    const replied = a.request<string>("b", "slow", { timeoutMs: 30 });
    const timedOut = a.request<string>("nobody", "lost", { timeoutMs: 30 });
    await sleep(10);
    expect(handled).toEqual(["slow"]);
    network.leave("a");
    answer("too late");
    expect(await settledWithin(replied, 60)).toBe("pending");
    expect(await settledWithin(timedOut, 10)).toBe("pending");
  });

  it("a reply the node computed after it left is never sent: the caller times out with maybe", async () => {
    const network = new RealNetwork();
    const a = network.join("a");
    const b = network.join("b");
    let answer: (reply: string) => void = () => undefined;
    b.onRequest(() => new Promise<string>((resolve) => (answer = resolve)));
    const pending = a.request<string>("b", "slow", { timeoutMs: 40 });
    await sleep(10);
    network.leave("b");
    answer("from a dead process");
    expect(await pending).toEqual({ kind: "maybe", reason: "timeout" });
  });

  it("the id can join again: the new incarnation talks, the old Net stays dead", async () => {
    const network = new RealNetwork();
    const a = network.join("a");
    const oldB = network.join("b");
    oldB.onRequest(() => "old");
    const oldHeard: unknown[] = [];
    oldB.onMessage((_, m) => oldHeard.push(m));
    network.leave("b");
    expect(network.has("b")).toBe(false);
    expect(() => network.join("a")).toThrow(/already on this network/);
    const newB = network.join("b");
    newB.onRequest((from, r) => `new heard ${String(r)} from ${from}`);
    const newHeard: unknown[] = [];
    newB.onMessage((_, m) => newHeard.push(m));
    a.send("b", "m");
    const outcome: RequestOutcome<string> = await a.request("b", "q", { timeoutMs: 1000 });
    expect(outcome).toEqual({ kind: "ok", reply: "new heard q from a" });
    expect(newHeard).toEqual(["m"]);
    expect(oldHeard).toEqual([]);
    // The old incarnation's Net stays silenced although its id is back on the network.
    const fromOld = oldB.request("a", "x", { timeoutMs: 10 });
    oldB.send("a", "y");
    const aHeard: unknown[] = [];
    a.onMessage((_, m) => aHeard.push(m));
    expect(await settledWithin(fromOld, 40)).toBe("pending");
    expect(aHeard).toEqual([]);
  });

  it("leaving an id that is not on the network does nothing", () => {
    const network = new RealNetwork();
    expect(() => network.leave("ghost")).not.toThrow();
  });
});
