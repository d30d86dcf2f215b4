/**
 * Redis's behaviour for one client, as a vitest suite that runs on every implementation (the
 * simulated model now; a real server and the model on the real clock once lab 04's real parts
 * exist): whatever lab code sees from one connection must be the same on all of them. Concurrency
 * and faults have their own tests next to each implementation.
 *
 * Expiry is tested with margins a real server on a loaded machine keeps (a key of `TTL_MS` read at
 * once, then after `PAST_TTL_MS`), so the suite can run against real time. 40 ms was too short:
 * at a load average of 15 (a CI run beside deep checks), a PEXPIRE of 40 ms and the PTTL right
 * after it were more than 40 ms apart, and the key had gone.
 */
import { describe, expect, it } from "vitest";
import { outcome } from "./outcome.ts";
import type { Redis } from "./redis.ts";

/** Runs `body` with a Redis that has no keys, and a way to let time pass on the server's clock. */
export type WithEmptyRedis = <T>(
  body: (redis: Redis, sleep: (ms: number) => Promise<void>) => Promise<T>,
) => Promise<T>;

/** Long enough for a few commands in a row on a busy machine, short enough to wait out. */
const TTL_MS = 300;
/** Well past `TTL_MS`, so that a key set with it is surely gone. */
const PAST_TTL_MS = 900;

export function describeRedisBehaviour(name: string, withRedis: WithEmptyRedis): void {
  describe(`${name}: one client`, () => {
    it("SET, GET and DEL: a value until deleted; DEL says whether there was one", async () => {
      const seen = await withRedis(async (redis) => [
        await redis.get("k"),
        await redis.set("k", "v1"),
        await redis.get("k"),
        await redis.set("k", "v2"),
        await redis.get("k"),
        await redis.del("k"),
        await redis.del("k"),
        await redis.get("k"),
      ]);
      expect(seen).toEqual([null, "OK", "v1", "OK", "v2", 1, 0, null]);
    });

    it("NX sets only an absent key, XX only a present one; a refused SET changes nothing", async () => {
      const seen = await withRedis(async (redis) => [
        await redis.set("lease", "c1", { nx: true }),
        await redis.set("lease", "c2", { nx: true }),
        await redis.get("lease"),
        await redis.set("absent", "x", { xx: true }),
        await redis.get("absent"),
        await redis.set("lease", "c3", { xx: true }),
        await redis.get("lease"),
      ]);
      expect(seen).toEqual(["OK", null, "c1", null, null, "OK", "c3"]);
    });

    it("PX: the key lives its time on the server's clock, then is gone for every command", async () => {
      const seen = await withRedis(async (redis, sleep) => {
        await redis.set("lease", "c1", { nx: true, pxMs: TTL_MS });
        const alive = [await redis.get("lease"), await redis.pttl("lease")];
        await sleep(PAST_TTL_MS);
        return {
          alive,
          after: [await redis.get("lease"), await redis.pttl("lease"), await redis.del("lease")],
          retaken: await redis.set("lease", "c2", { nx: true, pxMs: TTL_MS }),
        };
      });
      expect(seen.alive[0]).toBe("c1");
      expect(seen.alive[1]).toBeGreaterThan(0);
      expect(seen.alive[1]).toBeLessThanOrEqual(TTL_MS);
      expect(seen.after).toEqual([null, -2, 0]);
      expect(seen.retaken).toBe("OK");
    });

    it("a SET without PX removes the expiry; PEXPIRE sets one, and 0 or less deletes the key", async () => {
      const seen = await withRedis(async (redis, sleep) => {
        await redis.set("k", "a", { pxMs: TTL_MS });
        await redis.set("k", "b");
        const persistent = await redis.pttl("k");
        await sleep(PAST_TTL_MS);
        const kept = await redis.get("k");
        const expireAbsent = await redis.pexpire("absent", 100);
        const expire = await redis.pexpire("k", TTL_MS);
        const ttl = await redis.pttl("k");
        const expireNow = await redis.pexpire("k", 0);
        return { persistent, kept, expireAbsent, expire, ttl, expireNow, after: await redis.get("k") };
      });
      expect(seen).toMatchObject({ persistent: -1, kept: "b", expireAbsent: false, expire: true });
      expect(seen.ttl).toBeGreaterThan(0);
      expect(seen.ttl).toBeLessThanOrEqual(TTL_MS);
      expect(seen).toMatchObject({ expireNow: true, after: null });
    });

    it("delIfEquals and pexpireIfEquals act only while the key holds the given value", async () => {
      const seen = await withRedis(async (redis) => {
        await redis.set("lease", "c2", { pxMs: 10_000 });
        const wrongOwner = [await redis.delIfEquals("lease", "c1"), await redis.pexpireIfEquals("lease", "c1", 50)];
        const ttlKept = await redis.pttl("lease");
        const renewed = await redis.pexpireIfEquals("lease", "c2", 20_000);
        const ttlRenewed = await redis.pttl("lease");
        const released = await redis.delIfEquals("lease", "c2");
        return {
          wrongOwner,
          ttlKept,
          renewed,
          ttlRenewed,
          released,
          gone: await redis.get("lease"),
          absent: [await redis.delIfEquals("lease", "c2"), await redis.pexpireIfEquals("lease", "c2", 50)],
        };
      });
      expect(seen.wrongOwner).toEqual([false, false]);
      expect(seen.ttlKept).toBeGreaterThan(9_000);
      expect(seen.ttlKept).toBeLessThanOrEqual(10_000);
      expect(seen.renewed).toBe(true);
      expect(seen.ttlRenewed).toBeGreaterThan(10_000);
      expect(seen).toMatchObject({ released: true, gone: null, absent: [false, false] });
    });

    it("arguments Redis refuses are refused before anything is sent: RangeError, TypeError", async () => {
      const seen = await withRedis(async (redis) => {
        const notAString = 7 as unknown as string;
        return {
          pxZero: await outcome(redis.set("k", "v", { pxMs: 0 })),
          pxFraction: await outcome(redis.set("k", "v", { pxMs: 1.5 })),
          pxNaN: await outcome(redis.set("k", "v", { pxMs: Number.NaN })),
          nxAndXx: await outcome(redis.set("k", "v", { nx: true, xx: true })),
          expireFraction: await outcome(redis.pexpire("k", 0.5)),
          keyNotString: await outcome(redis.get(notAString)),
          valueNotString: await outcome(redis.set("k", notAString)),
          nothingSet: await redis.get("k"),
        };
      });
      expect(seen).toEqual({
        pxZero: "RangeError",
        pxFraction: "RangeError",
        pxNaN: "RangeError",
        nxAndXx: "RangeError",
        expireFraction: "RangeError",
        keyNotString: "TypeError",
        valueNotString: "TypeError",
        nothingSet: null,
      });
    });
  });
}
