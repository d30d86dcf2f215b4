/** The window checks: leases replayed from Redis's history, taken leases, quote overlaps, early "done". */
import { describe, expect, it } from "vitest";
import type { RedisCommand, RedisResult } from "#harness/redis.ts";
import type { RedisRecord } from "#harness/sim/redis.ts";
import type { Delivery } from "../provided.ts";
import type { Application } from "./check-effects.ts";
import { checkEarlyDones, checkQuoteOverlaps, checkTakenLeases, tenuresOf } from "./check-window.ts";
import type { QuoteCall } from "./pricing.ts";

const LEASE = "lease:o1/1";

function run(serverMs: number, nodeId: string, command: RedisCommand, result: RedisResult): RedisRecord {
  return { serverMs, nodeId, incarnation: 1, command, result };
}
const setNx = (pxMs: number, value: string): RedisCommand => ({
  op: "set",
  key: LEASE,
  value,
  nx: true,
  xx: false,
  pxMs,
});

function quote(nodeId: string, startMs: number, endMs: number): QuoteCall {
  const times = { startMs, endMs, plannedEndMs: endMs, startServerMs: startMs, endServerMs: endMs };
  return { nodeId, key: "o1/1", messageId: `m-${nodeId}`, ...times };
}

describe("the lease replay and the taken-lease check", () => {
  it("names a live lease deleted by another consumer", () => {
    const history = [run(10, "c1", setNx(100, "c1"), "OK"), run(50, "c2", { op: "del", key: LEASE }, 1)];
    const found = checkTakenLeases(tenuresOf(history, []));
    expect(found.map((a) => a.name)).toEqual(["overlap"]);
    expect(found[0]?.explanation).toContain("c2 ended it at 50");
  });

  it("passes a release by the holder, a lease that expired, and one lost in a restart", () => {
    const released = [
      run(10, "c1", setNx(100, "c1"), "OK"),
      run(40, "c1", { op: "delIfEquals", key: LEASE, value: "c1" }, true),
    ];
    const expired = [run(10, "c1", setNx(100, "c1"), "OK"), run(120, "c2", setNx(100, "c2"), "OK")];
    const restarted = [run(10, "c1", setNx(100, "c1"), "OK"), run(60, "c2", setNx(100, "c2"), "OK")];
    expect(checkTakenLeases(tenuresOf(released, []))).toEqual([]);
    expect(checkTakenLeases(tenuresOf(expired, []))).toEqual([]);
    expect(checkTakenLeases(tenuresOf(restarted, [{ serverMs: 50, what: "restart", keys: [] }]))).toEqual([]);
  });

  it("counts a renewal: a SET after the first deadline but before the renewed one takes the lease", () => {
    const history = [
      run(10, "c1", setNx(100, "c1"), "OK"),
      run(80, "c1", { op: "pexpireIfEquals", key: LEASE, value: "c1", ms: 100 }, true),
      run(150, "c2", { op: "set", key: LEASE, value: "c2", nx: false, xx: false, pxMs: 100 }, "OK"),
    ];
    expect(checkTakenLeases(tenuresOf(history, [])).map((a) => a.name)).toEqual(["overlap"]);
  });
});

describe("the quote-overlap check", () => {
  const leased = run(10, "c1", setNx(100, "c1"), "OK");
  const calls = [quote("c1", 11, 31), quote("c2", 20, 40)];

  it("names a consumer told the lease is busy that quoted anyway", () => {
    const history = [leased, run(15, "c2", setNx(100, "c2"), null)];
    const found = checkQuoteOverlaps(calls, tenuresOf(history, []), history);
    expect(found.map((a) => a.name)).toEqual(["overlap"]);
    expect(found[0]?.explanation).toContain("c2 ran SET lease:o1/1 NX at 15");
  });

  it("passes quoting without Redis, after the lease expired, and two handlers of one consumer", () => {
    const short = run(10, "c1", setNx(5, "c1"), "OK");
    const asked = run(15, "c2", setNx(100, "c2"), null);
    expect(checkQuoteOverlaps(calls, tenuresOf([leased], []), [leased])).toEqual([]);
    expect(checkQuoteOverlaps(calls, tenuresOf([short, asked], []), [short, asked])).toEqual([]);
    const same = [quote("c1", 11, 31), quote("c1", 20, 40)];
    const byC1 = run(15, "c1", setNx(100, "c1"), null);
    expect(checkQuoteOverlaps(same, tenuresOf([leased, byC1], []), [leased, byC1])).toEqual([]);
  });

  it("passes a quote whose own handler was told Redis could not take its lease, though another handler of that consumer heard 'busy'", () => {
    const history = [leased, run(15, "c2", setNx(100, "c2"), null)];
    const excused = (call: QuoteCall) => call.nodeId === "c2";
    expect(checkQuoteOverlaps(calls, tenuresOf(history, []), history, excused)).toEqual([]);
    const notC2 = (call: QuoteCall) => call.nodeId === "c1";
    expect(checkQuoteOverlaps(calls, tenuresOf(history, []), history, notC2).map((a) => a.name)).toEqual(["overlap"]);
  });
});

describe("the early-done check", () => {
  const event = { orderId: "o1", step: 1, kind: "charge" as const, customer: "alice", amountCents: 500, sentAtMs: 0 };
  const delivery: Delivery = { messageId: "m-2", queueId: 0, queueOffset: 1, key: "o1", event, reconsumeTimes: 0 };
  const applied = (committedAtMs: number): Application => ({
    applicationId: "c1#1/1",
    row: { ...event, consumerId: "c1", messageId: "m-1" },
    nodeId: "c1",
    committedAtMs,
  });

  it("names a done answered before the database committed the operation", () => {
    const found = checkEarlyDones([{ consumer: "c2", delivery, atMs: 40 }], [applied(55)]);
    expect(found.map((a) => a.name)).toEqual(["lost write"]);
    expect(found[0]?.explanation).toContain("did only at 55");
  });

  it("passes a done answered after the commit", () => {
    expect(checkEarlyDones([{ consumer: "c2", delivery, atMs: 40 }], [applied(30)])).toEqual([]);
  });
});
