/**
 * The simulated Redis keeps the contract of harness/redis.ts: commands are atomic at the instant
 * they arrive, keys expire on the server's clock, and its faults do what its header says (a cut
 * or a restart loses what is in flight, a lost reply leaves the outcome unknown, a clock jump
 * expires keys early, an eviction drops the soonest deadlines).
 */
import { describe, expect, it } from "vitest";
import type { Env } from "../env.ts";
import type { Redis } from "../redis.ts";
import { describeRedisBehaviour } from "../redis-behaviour.ts";
import type { SimNode } from "./node.ts";
import { type RedisProfile, SimRedis } from "./redis.ts";
import { expectSeedDecides, outcomeOn, type TwoClients, twoClients } from "./service-testing.ts";
import { inBootedNode } from "./testing.ts";
import { World } from "./world.ts";

describeRedisBehaviour("simulated Redis", (body) =>
  inBootedNode({}, ({ world, env }) => body(new SimRedis(world).connect(env), (ms) => env.clock.sleep(ms))),
);

/** Two client processes, a and b, each with its own connection to one Redis. */
interface Clients extends TwoClients<Api> {
  redis: SimRedis;
}

interface Api {
  env: Env;
  redis: Redis;
}

/** Fixed latencies make the timelines below exact: a command arrives 1 ms after it is sent. */
const exact: Partial<RedisProfile> = { networkMs: 1, brokenConnectionMs: 50 };

function clients(seed = 1, profile: Partial<RedisProfile> = exact): Clients {
  const world = new World({ seed });
  const redis = new SimRedis(world, profile);
  return { redis, ...twoClients(world, (env): Api => ({ env, redis: redis.connect(env) })) };
}

/** Runs a call on the node's current process: its result, an error's name, or how the process ended. */
function on<T>(node: SimNode<Api>, call: (redis: Redis, env: Env) => Promise<T>): Promise<T | string> {
  return outcomeOn(node, (api) => call(api.redis, api.env));
}

describe("simulated Redis: atomic commands, expiry on the server's clock", () => {
  it("two SET NX of one key at the same instant: exactly one OK, whatever the seed", async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = clients(seed, {});
      const seen = await c.run(async () => {
        return Promise.all([
          on(c.nodes.a, (r) => r.set("lease", "a", { nx: true, pxMs: 100 })),
          on(c.nodes.b, (r) => r.set("lease", "b", { nx: true, pxMs: 100 })),
        ]);
      });
      expect(
        seen.filter((s) => s === "OK"),
        `seed ${seed}`,
      ).toHaveLength(1);
      const winner = seen[0] === "OK" ? "a" : "b";
      expect(c.redis.snapshot().map((k) => k.value)).toEqual([winner]);
      expect(c.redis.history.map((h) => h.result)).toEqual(["OK", null]);
    }
  });

  it("a key is alive at its deadline and gone just after (Redis: expired when now > deadline)", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      const t0 = c.world.nowMs;
      // Sent at t0, runs at t0 + 1: the deadline is t0 + 101.
      await on(c.nodes.a, (r) => r.set("lease", "a", { pxMs: 100 }));
      // Three reads from b, sent so that they run at +100, +101 (the deadline) and +101.5.
      const readAt = async (runsAtMs: number): Promise<unknown> => {
        await c.world.sleep(t0 + runsAtMs - 1 - c.world.nowMs);
        return on(c.nodes.b, (r) => r.get("lease"));
      };
      return Promise.all([readAt(100), readAt(101), readAt(101.5)]);
    });
    expect(seen).toEqual(["a", "a", null]);
  });

  it("expiry follows the server's clock: a forward jump expires keys early, and is recorded", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      await on(c.nodes.a, (r) => r.set("lease", "a", { pxMs: 100 }));
      await on(c.nodes.a, (r) => r.set("done", "1", { pxMs: 1000 }));
      await on(c.nodes.a, (r) => r.set("forever", "1"));
      c.redis.skew(150);
      return [await on(c.nodes.b, (r) => r.get("lease")), await on(c.nodes.b, (r) => r.pttl("done"))];
    });
    expect(seen[0]).toBeNull();
    // 1000 ms minus the jump and the few ms of round trips.
    expect(seen[1]).toBeGreaterThan(840);
    expect(seen[1]).toBeLessThanOrEqual(850);
    expect(c.redis.incidents).toMatchObject([{ what: "skew", keys: ["lease"] }]);
  });

  it("evict drops keys with an expiry, soonest deadline first, and never a key without one", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      await on(c.nodes.a, (r) => r.set("late", "1", { pxMs: 900 }));
      await on(c.nodes.a, (r) => r.set("soon", "1", { pxMs: 100 }));
      await on(c.nodes.a, (r) => r.set("forever", "1"));
      await on(c.nodes.a, (r) => r.set("middle", "1", { pxMs: 500 }));
      return [c.redis.evict(2), c.redis.evict(5)];
    });
    expect(seen).toEqual([["soon", "middle"], ["late"]]);
    expect(c.redis.snapshot().map((k) => k.key)).toEqual(["forever"]);
  });
});

describe("simulated Redis: faults", () => {
  it("a lost reply: the command ran, and the caller gets RedisOutcomeUnknown", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      c.redis.loseReplies("a", 1);
      const first = await on(c.nodes.a, (r) => r.set("lease", "a", { nx: true }));
      const second = await on(c.nodes.a, (r) => r.set("lease", "a", { nx: true }));
      return { first, second, value: await on(c.nodes.b, (r) => r.get("lease")) };
    });
    expect(seen).toEqual({ first: "RedisOutcomeUnknown", second: null, value: "a" });
  });

  it("cut off: a new command fails with RedisUnavailable and never runs; after heal it works again", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      c.redis.cut("a");
      const t0 = c.world.nowMs;
      const whileCut = await on(c.nodes.a, (r) => r.set("k", "a"));
      const noticedAfterMs = c.world.nowMs - t0;
      c.redis.heal("a");
      return { whileCut, noticedAfterMs, healed: await on(c.nodes.a, (r) => r.set("k", "a2")) };
    });
    expect(seen).toEqual({ whileCut: "RedisUnavailable", noticedAfterMs: 50, healed: "OK" });
    expect(c.redis.history.map((h) => h.command)).toMatchObject([{ op: "set", value: "a2" }]);
  });

  it("a cut while a command is on its way loses it (even if healed before it lands); while its reply is on its way, it ran: all unknown", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      const t0 = c.world.nowMs;
      // Runs at t0 + 1, replies at t0 + 2: a cut at +0.5 loses the command, at +1.5 the reply.
      c.world.at(t0 + 0.5, "cut", () => c.redis.cut("a"));
      const lostOnTheWay = on(c.nodes.a, (r) => r.set("first", "a"));
      c.world.at(t0 + 1.5, "cut", () => c.redis.cut("b"));
      const lostReply = on(c.nodes.b, (r) => r.set("second", "b"));
      const first = [await lostOnTheWay, await lostReply];
      c.redis.heal("a");
      c.redis.heal("b");
      // Cut and healed while the command is on its way: the connection it was sent on broke.
      const t1 = c.world.nowMs;
      c.world.at(t1 + 0.3, "cut", () => c.redis.cut("a"));
      c.world.at(t1 + 0.6, "heal", () => c.redis.heal("a"));
      return [...first, await on(c.nodes.a, (r) => r.set("third", "a"))];
    });
    expect(seen).toEqual(["RedisOutcomeUnknown", "RedisOutcomeUnknown", "RedisOutcomeUnknown"]);
    expect(c.redis.snapshot().map((k) => k.key)).toEqual(["second"]);
  });

  it("a restart loses every key; while down, commands fail with RedisUnavailable", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      await on(c.nodes.a, (r) => r.set("done:o1", "1", { pxMs: 10_000 }));
      c.redis.restart(100);
      const whileDown = await on(c.nodes.a, (r) => r.get("done:o1"));
      await c.world.sleep(100);
      return { whileDown, after: await on(c.nodes.a, (r) => r.get("done:o1")) };
    });
    expect(seen).toEqual({ whileDown: "RedisUnavailable", after: null });
    expect(c.redis.incidents).toMatchObject([{ what: "restart", keys: ["done:o1"] }]);
    // The caller's side: the one command that failed, as it heard it (50 ms after sending it).
    expect(c.redis.failures).toMatchObject([
      { nodeId: "a", command: { op: "get", key: "done:o1" }, definitelyNotRun: true },
    ]);
  });

  it("records each failure as its caller hears it: unknown outcomes as not definitely unrun", async () => {
    const c = clients();
    await c.run(async () => {
      c.redis.loseReplies("a", 1);
      await on(c.nodes.a, (r) => r.set("lease", "a", { nx: true }));
      await on(c.nodes.b, (r) => r.get("lease"));
    });
    expect(c.redis.failures).toMatchObject([
      { nodeId: "a", command: { op: "set", key: "lease" }, definitelyNotRun: false },
    ]);
  });

  it("a command sent just before its client crashed still runs; the dead incarnation never hears", async () => {
    const c = clients();
    let settled = false;
    const seen = await c.run(async () => {
      const t0 = c.world.nowMs;
      c.world.at(t0 + 0.5, "crash", () => c.nodes.a.crash());
      const call = on(c.nodes.a, (r) =>
        r.set("lease", "a", { nx: true }).finally(() => {
          settled = true;
        }),
      );
      const outcome = await call;
      await c.world.sleep(200);
      return { outcome, value: await on(c.nodes.b, (r) => r.get("lease")) };
    });
    expect(seen).toEqual({ outcome: "crashed", value: "a" });
    expect(settled).toBe(false);
  });

  it("a crash aimed at the 'redis' gap strikes after a command that changed a key, before its caller hears", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      const faults = c.crashAtSecondGap("redis");
      const steps = await on(c.nodes.a, async (r) => [
        await r.set("lease", "a", { nx: true }),
        await r.get("lease"), // a read changes nothing: not counted
        await r.set("lease", "b", { nx: true }), // refused: not counted
        await r.set("done", "1"),
        await r.del("lease"),
      ]);
      await faults.healed();
      return { steps, keys: c.redis.snapshot().map((k) => k.key), said: faults.said() };
    });
    expect(seen).toMatchObject({ steps: "crashed", keys: ["done", "lease"] });
    expect(seen.said.join("\n")).toContain(
      "right after its 2nd Redis command that changed a key since 0 ms: SET done 1",
    );
  });

  it("a paused caller hears its reply when it resumes; the lease it took may have expired by then", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      c.pauseAtNextGap("redis", 150);
      const t0 = c.world.nowMs;
      const taken = on(c.nodes.a, (r) =>
        r.set("lease", "a", { nx: true, pxMs: 100 }).then((ok) => [ok, c.world.nowMs - t0]),
      );
      await c.world.sleep(120);
      const other = await on(c.nodes.b, (r) => r.set("lease", "b", { nx: true, pxMs: 100 }));
      return { taken: await taken, other };
    });
    expect(seen.taken).toEqual(["OK", expect.any(Number)]);
    expect((seen.taken as [string, number])[1]).toBeGreaterThanOrEqual(150);
    expect(seen.other).toBe("OK");
  });

  it("the same seed gives the same history and trace; latencies are drawn from the seed", async () => {
    const seen = await expectSeedDecides(
      (seed) => clients(seed, {}),
      ["k1", "k2", "k1", "k3"],
      (node, key, i) => on(node, (r) => r.set(key, String(i), { nx: true, pxMs: 50 })),
      (c) => ({ history: c.redis.history, keys: c.redis.snapshot() }),
    );
    expect(seen.keys).toHaveLength(3);
  });
});
