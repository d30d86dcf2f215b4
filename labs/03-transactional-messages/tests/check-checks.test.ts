/**
 * L3.D's checker on small hand-made histories: each counterexample of its header gives its
 * anomaly, and an honest run gives none (a check 200 ms after the half, answered and acknowledged,
 * nothing checked after).
 */
import { describe, expect, it } from "vitest";
import { History, type Op } from "#harness/workloads/history.ts";
import {
  GROUP,
  HALF_OFFSET,
  REASON,
  SET_ASIDE_TOPIC,
  type StoredMessage,
  TOPIC,
} from "#labs/03-transactional-messages/provided.ts";
import { type CheckedTx, type ChecksEvidence, checkChecks } from "./check-checks.ts";
import type { SentCheck } from "./deployment.ts";

function timeline() {
  let now = 0;
  const history = new History(() => now);
  const op = (ms: number, client: string, f: string, input: unknown, output?: unknown): Op => {
    now = ms;
    const o = history.invoke(client, f, input);
    now = ms + 1;
    history.complete(o, "ok", output === undefined ? {} : { output });
    return o;
  };
  return { history, op };
}

const real = (body: string, queueOffset: number): StoredMessage => ({
  topic: TOPIC,
  queueId: 0,
  queueOffset,
  key: "k",
  body,
  producerId: "",
  sequence: -1,
  storedAtMs: 0,
  properties: {},
});

const check = (atMs: number, halfOffset: number, checkTimes = 1, live = true): SentCheck => ({
  atMs,
  target: "p1",
  live,
  check: { type: "checkTransaction", group: GROUP, transactionId: "tx1", halfOffset, checkTimes },
});

const names = (e: ChecksEvidence) => checkChecks(e).map((a) => a.name);

/** tx1, half 0, stored at 10 ms, committed locally; checked at 215 ms, its answer acknowledged. */
function honest(committed = true) {
  const { history, op } = timeline();
  const send = op(10, "p1", "sendHalf", { tx: "tx1", body: "p1#1" }, { halfOffset: 0 });
  const decision = committed ? "commit" : "rollback";
  op(
    230,
    "p1",
    "end",
    { tx: "tx1", halfOffset: 0, decision, fromCheck: true },
    { kind: "ok", outcome: committed ? "committed" : "rolledBack" },
  );
  op(
    1500,
    "auditor",
    "end",
    { tx: "tx1", halfOffset: 0, decision: "unknown" },
    { kind: "alreadyResolved", outcome: committed ? "committed" : "rolledBack" },
  );
  const tx: CheckedTx = { transactionId: "tx1", body: "p1#1", send, halfOffset: 0, checkImmunityMs: 0, committed };
  const evidence: ChecksEvidence = {
    txs: [tx],
    checks: [check(215, 0)],
    ops: history.ops,
    queues: [committed ? [real("p1#1", 0)] : []],
    setAsideTopic: [],
    countChecks: true,
  };
  return { history, op, tx, evidence };
}

describe("L3.D's checker", () => {
  it("an honest run: no anomaly", () => {
    expect(names(honest().evidence)).toEqual([]);
    expect(names(honest(false).evidence)).toEqual([]);
  });

  it("premature check: checked 120 ms after the half (its immunity counts too)", () => {
    const { evidence, tx } = honest();
    expect(names({ ...evidence, checks: [check(130, 0)] })).toEqual(["premature check"]);
    expect(names({ ...evidence, txs: [{ ...tx, checkImmunityMs: 400 }] })).toEqual(["premature check"]);
    // The broker's clock reads whole milliseconds: a check under 1 ms early in true time is its grain.
    expect(names({ ...evidence, checks: [check(209, 0)] })).toEqual(["premature check"]);
    expect(names({ ...evidence, checks: [check(209.5, 0)] })).toEqual([]);
  });

  it("premature check allows the broker's whole-millisecond clock, and no more", () => {
    // Sent at 10 ms, timeout 200 ms: a broker that stored the half at 10.7 ms reads 10, and at
    // 209.3 ms reads 209, an age of 199.3 ms in true time that it rightly counts as 200 ms.
    const { evidence } = honest();
    expect(names({ ...evidence, checks: [check(209.3, 0)] })).toEqual([]);
    expect(names({ ...evidence, checks: [check(209, 0)] })).toEqual(["premature check"]);
    expect(names({ ...evidence, checks: [check(208.9, 0)] })).toEqual(["premature check"]);
  });

  it("redundant check: checked after a reply acknowledged the outcome", () => {
    const { evidence } = honest();
    expect(names({ ...evidence, checks: [check(215, 0), check(400, 0, 2)] })).toEqual(["redundant check"]);
  });

  it("wasted check: set aside with 3 checks reaching a live producer, unless counting is off (L3.E)", () => {
    const { history, op } = timeline();
    const send = op(10, "p1", "sendHalf", { tx: "tx1", body: "p1#1" }, { halfOffset: 0 });
    op(
      1500,
      "auditor",
      "end",
      { tx: "tx1", halfOffset: 0, decision: "unknown" },
      { kind: "alreadyResolved", outcome: "setAside" },
    );
    const checks = [1, 2, 3]
      .map((n) => check(200 + 50 * n, 0, n))
      .concat([4, 5].map((n) => check(200 + 50 * n, 0, n, false)));
    const aside: StoredMessage = {
      ...real("p1#1", 0),
      topic: SET_ASIDE_TOPIC,
      properties: { [HALF_OFFSET]: "0", [REASON]: "budget" },
    };
    const evidence: ChecksEvidence = {
      txs: [{ transactionId: "tx1", body: "p1#1", send, halfOffset: 0, checkImmunityMs: 0, committed: false }],
      checks,
      ops: history.ops,
      queues: [[]],
      setAsideTopic: [aside],
      countChecks: true,
    };
    expect(names(evidence)).toEqual(["wasted check"]);
    expect(names({ ...evidence, countChecks: false })).toEqual([]);
    // Reported set aside with no message in TRANS_CHECK_MAX_TIME_TOPIC: operators cannot find it.
    expect(names({ ...evidence, countChecks: false, setAsideTopic: [] })).toEqual(["not live"]);
    // Fifteen checks to a live producer, then set aside: the budget, spent in full and no more.
    const full = Array.from({ length: 15 }, (_, i) => check(250 + 50 * i, 0, i + 1));
    expect(names({ ...evidence, checks: full })).toEqual([]);
    // A sixteenth: the budget overspent.
    expect(names({ ...evidence, checks: [...full, check(1000, 0, 16)] })).toEqual(["wasted check"]);
    expect(names({ ...evidence, checks: [...full, check(1000, 0, 16)], countChecks: false })).toEqual([]);
  });

  it("aborted read and lost write come from the truth as well as from replies", () => {
    const rolledBack = honest(false).evidence;
    expect(names({ ...rolledBack, queues: [[real("p1#1", 0)]] })).toContain("aborted read");
    const { history, op } = timeline();
    const send = op(10, "p1", "sendHalf", { tx: "tx1", body: "p1#1" }, { halfOffset: 0 });
    op(1500, "auditor", "end", { tx: "tx1", halfOffset: 0, decision: "unknown" }, { kind: "ok", outcome: "pending" });
    const silent: ChecksEvidence = {
      txs: [{ transactionId: "tx1", body: "p1#1", send, halfOffset: 0, checkImmunityMs: 0, committed: true }],
      checks: [],
      ops: history.ops,
      queues: [[]],
      setAsideTopic: [],
      countChecks: true,
    };
    expect(names(silent)).toEqual(["lost write", "unresolved half"]);
  });
});
