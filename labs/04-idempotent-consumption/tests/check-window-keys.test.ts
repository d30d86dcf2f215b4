/** The checks of the window's own keys: an expiry on every lease and mark, and leases given back. */
import { describe, expect, it } from "vitest";
import type { RedisCommand, RedisResult } from "#harness/redis.ts";
import type { RedisRecord } from "#harness/sim/redis.ts";
import type { Handling } from "./check-window.ts";
import { tenuresOf } from "./check-window.ts";
import { checkKeptLeases, checkKeyNames, checkKeysWithoutExpiry } from "./check-window-keys.ts";
import type { RedisTroubles } from "./redis-troubles.ts";

const LEASE = "lease:o1/1";
const DONE = "done:o1/1";

function run(serverMs: number, nodeId: string, command: RedisCommand, result: RedisResult): RedisRecord {
  return { serverMs, nodeId, incarnation: 1, command, result };
}
const set = (key: string, pxMs: number | null, value = "c1"): RedisCommand => ({
  op: "set",
  key,
  value,
  nx: key === LEASE,
  xx: false,
  pxMs,
});
const calm = (): RedisTroubles => ({ spells: [], keyLossesAtMs: [], jumps: [] });

describe("the key-without-expiry check", () => {
  it("names a done mark and a lease set with no PX and never given one", () => {
    const mark = checkKeysWithoutExpiry([run(40, "c1", set(DONE, null), "OK")], 40);
    expect(mark.map((a) => a.name)).toEqual(["key without expiry"]);
    expect(mark[0]?.explanation).toContain("memory only grows");
    const lease = checkKeysWithoutExpiry([run(10, "c1", set(LEASE, null), "OK")], 40);
    expect(lease[0]?.explanation).toContain("no consumer can ever take");
  });

  it("passes SET ... PX, and SET then PEXPIRE from the same consumer within the grace", () => {
    expect(checkKeysWithoutExpiry([run(40, "c1", set(DONE, 1500), "OK")], 40)).toEqual([]);
    const twoSteps = [
      run(40, "c1", set(DONE, null), "OK"),
      run(41, "c1", { op: "pexpire", key: DONE, ms: 1500 }, true),
    ];
    expect(checkKeysWithoutExpiry(twoSteps, 40)).toEqual([]);
  });

  it("names SET then a PEXPIRE that came too late, or from someone else", () => {
    const late = [run(40, "c1", set(DONE, null), "OK"), run(90, "c1", { op: "pexpire", key: DONE, ms: 1500 }, true)];
    expect(checkKeysWithoutExpiry(late, 40)).toHaveLength(1);
    const other = [run(40, "c1", set(DONE, null), "OK"), run(41, "c2", { op: "pexpire", key: DONE, ms: 1500 }, true)];
    expect(checkKeysWithoutExpiry(other, 40)).toHaveLength(1);
  });
});

describe("the kept-lease check", () => {
  // c1 takes the lease at 10 ms (100 ms long) while handling m-1 from 5 to 30 ms.
  const taken = run(10, "c1", set(LEASE, 100), "OK");
  const call: Handling = {
    consumer: "c1",
    messageId: "m-1",
    key: "o1/1",
    fromMs: 5,
    toMs: 30,
    done: true,
    answered: true,
  };
  const check = (history: RedisRecord[], handlings: Handling[] = [call], troubles = calm(), endMs = 1000) =>
    checkKeptLeases(tenuresOf(history, []), handlings, troubles, 40, endMs);

  it("names a lease its holder answered without releasing, left to expire", () => {
    const found = check([taken]);
    expect(found.map((a) => a.name)).toEqual(["lease kept"]);
    expect(found[0]?.explanation).toContain("until it expired at 110");
  });

  it("passes a released lease, and one released just after the answer", () => {
    expect(check([taken, run(29, "c1", { op: "delIfEquals", key: LEASE, value: "c1" }, true)])).toEqual([]);
    expect(check([taken, run(31, "c1", { op: "delIfEquals", key: LEASE, value: "c1" }, true)])).toEqual([]);
  });

  it("passes a call that never answered, Redis in trouble, another call of the key, a run that ended", () => {
    expect(check([taken], [{ ...call, answered: false }])).toEqual([]);
    expect(check([taken], [call], { ...calm(), spells: [{ node: "c1", fromMs: 25, toMs: 26 }] })).toEqual([]);
    const twin = { ...call, messageId: "m-2", fromMs: 20, toMs: 60 };
    expect(check([taken], [call, twin])).toEqual([]);
    expect(check([taken], [call], calm(), 50)).toEqual([]);
  });

  it("passes a lease that expired soon after the answer", () => {
    expect(check([run(10, "c1", set(LEASE, 50), "OK")])).toEqual([]);
  });
});

describe("the key-name check", () => {
  it("names the first key that is neither a lease nor a done mark", () => {
    const history = [run(10, "c1", set(LEASE, 100), "OK"), run(12, "c2", set("lock:o1/1", 100, "c2"), "OK")];
    const found = checkKeyNames(history);
    expect(found.map((a) => a.name)).toEqual(["wrong answer"]);
    expect(found[0]?.explanation).toContain("SET lock:o1/1");
  });

  it("passes the contract's two keys", () => {
    expect(checkKeyNames([run(10, "c1", set(LEASE, 100), "OK"), run(30, "c1", set(DONE, 1500), "OK")])).toEqual([]);
  });
});
