/**
 * The window checks: leases replayed from Redis's history, taken leases, quote overlaps (with and
 * without a lease in the history), early "done", and wasted work.
 */
import { describe, expect, it } from "vitest";
import type { RedisCommand, RedisResult } from "#harness/redis.ts";
import type { RedisRecord } from "#harness/sim/redis.ts";
import type { Delivery } from "../provided.ts";
import type { Application } from "./check-effects.ts";
import {
  checkEarlyDones,
  checkQuoteOverlaps,
  checkTakenLeases,
  checkUnleasedOverlaps,
  checkWastedQuotes,
  type Handling,
  tenuresOf,
} from "./check-window.ts";
import type { QuoteCall } from "./pricing.ts";
import type { RedisTroubles } from "./redis-troubles.ts";

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

const calm = (): RedisTroubles => ({ spells: [], keyLossesAtMs: [], jumps: [] });

function quoteOf(nodeId: string, messageId: string, startMs: number, endMs: number): QuoteCall {
  const times = { startMs, endMs, plannedEndMs: endMs, startServerMs: startMs, endServerMs: endMs };
  return { nodeId, key: "o1/1", messageId, ...times };
}

function handling(consumer: string, messageId: string, fromMs: number, toMs: number, done = true): Handling {
  return { consumer, messageId, key: "o1/1", fromMs, toMs, done, answered: true };
}

describe("the unleased-overlap check", () => {
  // c1 and c2 are both handed m-1 at 10 ms; both quote at once; no lease in Redis's history.
  const calls = [quoteOf("c1", "m-1", 12, 32), quoteOf("c2", "m-1", 20, 40)];
  const handlings = [handling("c1", "m-1", 10, 50), handling("c2", "m-1", 10, 60)];

  it("names two consumers quoting one key at once, within a lease of both arrivals, Redis well", () => {
    const found = checkUnleasedOverlaps(calls, handlings, calm(), 100);
    expect(found.map((a) => a.name)).toEqual(["overlap"]);
    expect(found[0]?.explanation).toContain("c2 quoted it too at 20");
  });

  it("passes once a lease could have expired, a fault on either link, a lost key, or another call of the key", () => {
    const late = [quoteOf("c1", "m-1", 12, 200), quoteOf("c2", "m-1", 115, 140)];
    const lateHandlings = [handling("c1", "m-1", 10, 210), handling("c2", "m-1", 10, 150)];
    expect(checkUnleasedOverlaps(late, lateHandlings, calm(), 100)).toEqual([]);
    const cut = { ...calm(), spells: [{ node: "c2", fromMs: 15, toMs: 16 }] };
    expect(checkUnleasedOverlaps(calls, handlings, cut, 100)).toEqual([]);
    const evicted = { ...calm(), keyLossesAtMs: [11] };
    expect(checkUnleasedOverlaps(calls, handlings, evicted, 100)).toEqual([]);
    // A second call of the key on c1 may have released c1's lease (a lease is its consumer's).
    expect(checkUnleasedOverlaps(calls, [...handlings, handling("c1", "m-2", 5, 15)], calm(), 100)).toEqual([]);
    const same = [quoteOf("c1", "m-1", 12, 32), quoteOf("c1", "m-2", 20, 40)];
    expect(
      checkUnleasedOverlaps(same, [handling("c1", "m-1", 10, 50), handling("c1", "m-2", 10, 60)], calm(), 100),
    ).toEqual([]);
  });
});

describe("the wasted-work check", () => {
  const event = { orderId: "o1", step: 1, kind: "charge" as const, customer: "alice", amountCents: 500, sentAtMs: 0 };
  const applied: Application = {
    applicationId: "c1#1/1",
    row: { ...event, consumerId: "c1", messageId: "m-1" },
    nodeId: "c1",
    committedAtMs: 30,
  };
  const markSet = (atMs: number, pxMs: number): RedisRecord =>
    run(atMs, "c1", { op: "set", key: "done:o1/1", value: "1", nx: false, xx: false, pxMs }, "OK");
  // c1 does the work (quote 10-25, commit 30, mark 32, "done" 33); m-2 reaches c2 at 100, which quotes at 101.
  const calls = [quoteOf("c1", "m-1", 10, 25), quoteOf("c2", "m-2", 101, 120)];
  const handlings = [handling("c1", "m-1", 5, 33), handling("c2", "m-2", 100, 140)];
  const check = (history: RedisRecord[], troubles: RedisTroubles, hs = handlings): string[] => {
    const incidents = troubles.keyLossesAtMs.map((serverMs) => ({ serverMs, what: "restart" as const, keys: [] }));
    const marks = tenuresOf(history, incidents, "done:");
    return checkWastedQuotes(calls, hs, marks, [applied], { history, troubles }, 1500).map((a) => a.explanation);
  };

  it("names a quote made while the done mark was in Redis and Redis answered normally", () => {
    const found = check([markSet(32, 1500)], calm());
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("done:o1/1 had been in Redis since 32");
    expect(found[0]).toContain("c2 quoted o1/1 again at 101");
  });

  it("names a quote the contract's mark would have saved, when no mark was set", () => {
    const found = check([], calm());
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("Redis never saw a SET of done:o1/1 from c1");
  });

  it("passes a mark that expired, a fault on the way, a mark set after arrival, and work not durable yet", () => {
    // Expired at 82, and c1's own SET may have failed: its replies were lost around its answer.
    const lostAtC1 = { ...calm(), spells: [{ node: "c1", fromMs: 30, toMs: 131 }] };
    expect(check([markSet(32, 50)], lostAtC1)).toEqual([]);
    // c2 could not read Redis between its arrival and its quote.
    expect(check([markSet(32, 1500)], { ...calm(), spells: [{ node: "c2", fromMs: 100.5, toMs: 200 }] })).toEqual([]);
    // A restart took the mark.
    expect(check([markSet(32, 1500)], { ...calm(), keyLossesAtMs: [60] })).toEqual([]);
    // m-2 reached c2 before the work was done: its read of the mark may have come first.
    expect(check([markSet(32, 1500)], calm(), [handling("c1", "m-1", 5, 33), handling("c2", "m-2", 20, 140)])).toEqual(
      [],
    );
  });

  it("passes a duplicate later than the window", () => {
    const late = [quoteOf("c1", "m-1", 10, 25), quoteOf("c2", "m-2", 1600, 1620)];
    const hs = [handling("c1", "m-1", 5, 33), handling("c2", "m-2", 1599, 1640)];
    const history = [markSet(32, 1500)];
    const found = checkWastedQuotes(
      late,
      hs,
      tenuresOf(history, [], "done:"),
      [applied],
      { history, troubles: calm() },
      1500,
    );
    expect(found).toEqual([]);
  });
});
