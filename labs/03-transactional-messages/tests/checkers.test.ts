/**
 * Lab 03's checkers on small hand-made histories: each counterexample of a checker's header gives
 * its anomaly, and the honest runs next to them give none (an unanswered end may have landed or
 * not; a retried commit that hears "already committed" is fine). The zoo shows the checkers catch
 * real bugs; these show each rule, including the ones no zoo entry reaches yet.
 */
import { describe, expect, it } from "vitest";
import type { TransactionRecord } from "#harness/sim/db.ts";
import { History, type Op } from "#harness/workloads/history.ts";
import {
  GROUP,
  HALF_OFFSET,
  type HalfMessage,
  OP_TOPIC,
  OUTCOME,
  type StoredMessage,
  TOPIC,
  TX_ID,
} from "#labs/03-transactional-messages/provided.ts";
import type { EndTransactionRequest } from "#labs/shared/broker/protocol.ts";
import { checkHalves, type HalvesEvidence, type ScriptedTx } from "./check-halves.ts";
import { checkOutcomes } from "./check-outcomes.ts";
import { checkProduce, type ProduceEvidence } from "./check-produce.ts";
import { newOracleRecord } from "./oracle-service.ts";

/** A history whose clock the test sets. */
function timeline() {
  let now = 0;
  const history = new History(() => now);
  const at = (ms: number) => {
    now = ms;
  };
  const op = (ms: number, client: string, f: string, input: unknown, status: "ok" | "info", output?: unknown): Op => {
    at(ms);
    const o = history.invoke(client, f, input);
    at(ms + 1);
    history.complete(o, status, output === undefined ? {} : { output });
    return o;
  };
  return { history, op };
}

const message = (body: string, queueOffset: number, tx: string, halfOffset: number, key = "k1"): StoredMessage => ({
  topic: TOPIC,
  queueId: 0,
  queueOffset,
  key,
  body,
  producerId: "",
  sequence: -1,
  storedAtMs: 100,
  properties: { [TX_ID]: tx, [HALF_OFFSET]: String(halfOffset) },
});

const opRecord = (outcome: string): StoredMessage => ({
  ...message(outcome, 0, "tx1", 0),
  topic: OP_TOPIC,
  properties: { [HALF_OFFSET]: "0", [OUTCOME]: outcome },
});

const names = (anomalies: { name: string }[]) => anomalies.map((a) => a.name);

describe("L3.A's checker", () => {
  const tx: ScriptedTx = { transactionId: "tx1", queueId: 0, key: "k1", body: "p1#1", bornAtMs: 7, checkImmunityMs: 0 };
  const half: HalfMessage = {
    ...tx,
    halfOffset: 0,
    group: GROUP,
    producerId: "p1",
    topic: TOPIC,
    storedAtMs: 1,
  };
  function evidence(
    build: (op: ReturnType<typeof timeline>["op"]) => void,
    more: Partial<HalvesEvidence> = {},
  ): HalvesEvidence {
    const { history, op } = timeline();
    build(op);
    return {
      txs: [tx],
      producer: "p1",
      ops: history.ops,
      queues: [[message("p1#1", 0, "tx1", 0)]],
      opRecords: [opRecord("commit")],
      probes: [],
      halvesRead: new Map([[0, half]]),
      pastTheEnd: { offset: 1, half: null },
      brokerClockAt: (ms) => ms,
      ...more,
    };
  }
  const sent = (op: ReturnType<typeof timeline>["op"]) =>
    op(0, "p1", "sendHalf", { tx: "tx1", queueId: 0, key: "k1", body: "p1#1" }, "ok", { halfOffset: 0 });
  type Build = (op: ReturnType<typeof timeline>["op"]) => void;
  const sentAnd =
    (...ends: ReturnType<typeof end>[]): Build =>
    (op) => {
      sent(op);
      for (const e of ends) op(...e);
    };
  const end = (decision: string, ms = 10, status: "ok" | "info" = "ok", outcome = "committed") =>
    [
      ms,
      "p1",
      "end",
      { tx: "tx1", halfOffset: 0, decision },
      status,
      status === "ok" ? { kind: "ok", outcome } : undefined,
    ] as const;

  it("passes a committed half delivered once, and an unanswered commit whether it landed or not", () => {
    expect(checkHalves(evidence(sentAnd(end("commit"))))).toEqual([]);
    expect(checkHalves(evidence(sentAnd(end("commit", 10, "info"))))).toEqual([]);
    expect(checkHalves(evidence(sentAnd(end("commit", 10, "info")), { queues: [[]] }))).toEqual([]);
  });

  it("finds each counterexample of its header", () => {
    const rolledBack = evidence(sentAnd(end("rollback", 10, "ok", "rolledBack")), {
      opRecords: [opRecord("rollback")],
    });
    expect(names(checkHalves(rolledBack))).toEqual(["aborted read"]);
    const twice = evidence(sentAnd(end("commit")), {
      queues: [[message("p1#1", 0, "tx1", 0), message("p1#1", 1, "tx1", 0)]],
    });
    expect(names(checkHalves(twice))).toEqual(["duplicate"]);
    const early = evidence((op) => {
      sent(op);
      op(5, "c1", "receive", { queueId: 0, queueOffset: 0, key: "k1", body: "p1#1" }, "ok");
      op(...end("commit"));
    });
    expect(names(checkHalves(early))).toEqual(["visible before commit"]);
    const lost = evidence(sentAnd(end("commit")), { queues: [[]] });
    expect(names(checkHalves(lost))).toEqual(["lost write"]);
    const opLost = evidence(sentAnd(end("commit")), { opRecords: [] });
    expect(names(checkHalves(opLost))).toEqual(["lost write"]);
    const opWrong = evidence(sentAnd(end("commit")), { opRecords: [opRecord("rollback")] });
    expect(names(checkHalves(opWrong))).toEqual(["wrong answer"]);
    const deaf = evidence(
      (op) => op(0, "p1", "sendHalf", { tx: "probe1", queueId: 0, key: "probe", body: "p1#probe1" }, "info"),
      { probes: ["probe1"], queues: [[]], opRecords: [], halvesRead: new Map() },
    );
    expect(names(checkHalves(deaf))).toEqual(["not live"]);
    const failing = evidence(
      (op) => {
        op(0, "p1", "sendHalf", { tx: "probe1", queueId: 0, key: "probe", body: "p1#probe1" }, "ok", { halfOffset: 0 });
        op(5, "p1", "end", { tx: "probe1", halfOffset: 0, decision: "commit" }, "ok", { kind: "error", message: "no" });
      },
      { probes: ["probe1"], queues: [[]], opRecords: [], halvesRead: new Map() },
    );
    expect(names(checkHalves(failing))).toEqual(["not live"]);
    const garbled = evidence(
      (op) => op(0, "p1", "sendHalf", { tx: "tx1", queueId: 0, key: "k1", body: "p1#1" }, "info", { malformed: {} }),
      { queues: [[]], opRecords: [], halvesRead: new Map() },
    );
    expect(names(checkHalves(garbled))).toEqual(["wrong answer"]);
    const halfGone = evidence((op) => sent(op), { queues: [[]], halvesRead: new Map([[0, null]]) });
    expect(names(checkHalves(halfGone))).toEqual(["lost write"]);
  });

  it("says wrong answer for a message unlike its half, a half read back wrong, or a half past the end", () => {
    const otherKey = evidence(sentAnd(end("commit")), {
      queues: [[message("p1#1", 0, "tx1", 0, "k9")]],
    });
    expect(names(checkHalves(otherKey))).toEqual(["wrong answer"]);
    const untraceable = evidence(sentAnd(end("commit")), {
      queues: [[message("p1#1", 0, "tx1", 3)]],
    });
    expect(names(checkHalves(untraceable))).toEqual(["wrong answer"]);
    const misread = evidence(sentAnd(end("commit")), {
      halvesRead: new Map([[0, { ...half, queueId: 2 }]]),
    });
    expect(names(checkHalves(misread))).toEqual(["wrong answer"]);
    const lateStamp = evidence(sentAnd(end("commit")), {
      halvesRead: new Map([[0, { ...half, storedAtMs: 50 }]]),
    });
    expect(names(checkHalves(lateStamp))).toEqual(["wrong answer"]);
    const phantom = evidence(sentAnd(end("commit")), { pastTheEnd: { offset: 1, half } });
    expect(names(checkHalves(phantom))).toEqual(["wrong answer"]);
  });
});

describe("L3.C's checker", () => {
  function run(
    ends: { decision: string; reply?: unknown; tx?: string }[],
    queue: StoredMessage[],
    storeNeverFails = false,
  ): string[] {
    const { history, op } = timeline();
    const send = op(0, "p1", "sendHalf", { tx: "tx1" }, "ok", { halfOffset: 0 });
    for (const [i, e] of ends.entries()) {
      const input = { tx: e.tx ?? "tx1", halfOffset: 0, decision: e.decision };
      op(10 + i * 10, "p1", "end", input, e.reply ? "ok" : "info", e.reply);
    }
    return names(
      checkOutcomes({
        halves: [{ transactionId: "tx1", body: "p1#1", halfOffset: 0, send }],
        ops: history.ops,
        queues: [queue],
        storeNeverFails,
      }),
    );
  }
  const committed = { kind: "ok", outcome: "committed" };
  const delivered = [message("p1#1", 0, "tx1", 0)];

  it("says wrong answer for anything but noSuchHalf at an offset where no half was stored", () => {
    const { history, op } = timeline();
    const send = op(0, "p1", "sendHalf", { tx: "tx1" }, "ok", { halfOffset: 0 });
    op(10, "p1", "end", { tx: "tx1", halfOffset: 1000, decision: "commit" }, "ok", { kind: "noSuchHalf" });
    op(20, "p1", "end", { tx: "tx1", halfOffset: 1000, decision: "rollback" }, "ok", {
      kind: "ok",
      outcome: "rolledBack",
    });
    const found = checkOutcomes({
      halves: [{ transactionId: "tx1", body: "p1#1", halfOffset: 0, send }],
      ops: history.ops,
      queues: [[]],
    });
    expect(found.map((a) => [a.name, a.ops.length])).toEqual([["wrong answer", 1]]);
  });

  it("passes a commit retried after a lost reply, and a late rollback refused", () => {
    expect(
      run(
        [{ decision: "commit" }, { decision: "commit", reply: { kind: "alreadyResolved", outcome: "committed" } }],
        delivered,
      ),
    ).toEqual([]);
    expect(
      run(
        [
          { decision: "commit", reply: committed },
          { decision: "rollback", reply: { kind: "alreadyResolved", outcome: "committed" } },
        ],
        delivered,
      ),
    ).toEqual([]);
    expect(run([{ decision: "commit", tx: "tx9", reply: { kind: "noSuchHalf" } }], [])).toEqual([]);
  });

  it("finds each counterexample of its header", () => {
    expect(
      run([{ decision: "rollback", reply: { kind: "ok", outcome: "rolledBack" } }, { decision: "commit" }], delivered),
    ).toEqual(["aborted read"]);
    expect(run([{ decision: "commit", reply: committed }], [...delivered, message("p1#1", 1, "tx1", 0)])).toEqual([
      "duplicate",
    ]);
    expect(
      run(
        [
          { decision: "commit", reply: committed },
          { decision: "rollback", reply: { kind: "alreadyResolved", outcome: "rolledBack" } },
        ],
        delivered,
      ),
    ).toEqual(["aborted read", "conflicting outcomes"]);
    expect(run([{ decision: "commit", reply: { kind: "alreadyResolved", outcome: "committed" } }], [])).toEqual([
      "lost write",
    ]);
  });

  it("says wrong answer for a misaddressed request accepted, a real one refused, or an outcome other than asked", () => {
    expect(run([{ decision: "rollback", tx: "tx9", reply: { kind: "ok", outcome: "rolledBack" } }], [])).toEqual([
      "wrong answer",
    ]);
    expect(run([{ decision: "rollback", reply: { kind: "noSuchHalf" } }], [])).toEqual(["wrong answer"]);
    expect(run([{ decision: "unknown", reply: {} }], [])).toEqual(["wrong answer"]);
    expect(run([{ decision: "unknown", reply: { kind: "ok", outcome: "later" } }], [])).toEqual(["wrong answer"]);
    expect(
      run(
        [
          { decision: "commit", reply: committed },
          { decision: "commit", reply: committed },
        ],
        delivered,
      ),
    ).toEqual(["wrong answer"]);
    expect(
      run(
        [
          { decision: "commit", reply: committed },
          { decision: "unknown", reply: { kind: "ok", outcome: "pending" } },
        ],
        delivered,
      ),
    ).toEqual(["wrong answer"]);
    // error, where the store never fails (L3.C); allowed where it may.
    const failed = [{ decision: "commit", reply: { kind: "error", message: "no" } }];
    expect(run(failed, [], true)).toEqual(["wrong answer"]);
    expect(run(failed, [])).toEqual([]);
  });
});

describe("L3.B's checker", () => {
  const tx = { id: "p1#1", orderId: "o1", producer: "p1" };
  function run(options: {
    committedAtMs?: number;
    resolved?: "committed" | "rolledBack";
    ends?: ("commit" | "rollback")[];
    delivered?: number;
    result?: unknown;
    halfRequests?: number;
    /** p1#1 is a probe run once the faults healed (it must be published). */
    probe?: boolean;
    /** The immunity p1#1's message asked for, and the one its half carried. */
    immunity?: { asked: number; carried: number | undefined };
  }): string[] {
    const { history, op } = timeline();
    if (options.result !== undefined)
      op(0, "p1", "sendInTransaction", { id: "p1#1", order: "o1" }, "ok", options.result);
    const record = newOracleRecord();
    const request = {
      type: "sendHalf",
      group: GROUP,
      transactionId: "t",
      topic: TOPIC,
      queueId: 0,
      key: "o1",
      body: "p1#1",
      bornAtMs: 0,
      checkImmunityMs: options.immunity === undefined ? 0 : (options.immunity.carried as number),
    } as const;
    record.halves.set(0, { producerId: "p1", request, storedAtMs: 0, checks: 0 });
    if (options.resolved !== undefined) record.resolved.set(0, options.resolved);
    for (const decision of options.ends ?? []) {
      const end: EndTransactionRequest = {
        type: "endTransaction",
        group: GROUP,
        transactionId: "t",
        halfOffset: 0,
        decision,
        fromCheck: false,
      };
      record.ends.push({ atMs: 0, from: "p1", request: end, reply: { kind: "ok", outcome: "committed" } });
    }
    const committed = options.committedAtMs !== undefined;
    const history_: TransactionRecord[] = committed
      ? [
          {
            id: 1,
            nodeId: "p1",
            incarnation: 1,
            beganAtMs: 0,
            endedAtMs: options.committedAtMs ?? 0,
            outcome: "committed",
            reason: "committed",
            writes: [{ table: "orders", key: "o1", row: {} }],
          },
        ]
      : [];
    const db: ProduceEvidence["db"] = {
      history: () => history_,
      row: <T>(_table: string, key: string) => (committed && key === "o1" ? ({} as T) : undefined),
    } as ProduceEvidence["db"];
    const delivered = Array.from({ length: options.delivered ?? 0 }, (_, i) => ({
      ...message("p1#1", i, "t", 0),
      storedAtMs: 100,
    }));
    return names(
      checkProduce({
        txs: [options.immunity === undefined ? tx : { ...tx, checkImmunityMs: options.immunity.asked }],
        ops: history.ops,
        queues: [delivered],
        record,
        db,
        brokerClockAt: (ms) => ms,
        settled: "1000 ms",
        halfRequests: new Map([["p1#1", options.halfRequests ?? 1]]),
        probes: options.probe ? ["p1#1"] : [],
      }),
    );
  }

  it("passes a committed order delivered once, and a rolled-back one never delivered", () => {
    expect(
      run({ committedAtMs: 50, resolved: "committed", ends: ["commit"], delivered: 1, result: { decision: "commit" } }),
    ).toEqual([]);
    expect(run({ resolved: "rolledBack", ends: ["rollback"], result: { decision: "rollback" } })).toEqual([]);
    expect(run({ resolved: "rolledBack", result: { rejected: "HalfNotStored" } })).toEqual([]);
  });

  it("finds each counterexample of its header", () => {
    expect(run({ resolved: "committed", ends: ["commit"], delivered: 1 })).toEqual(["aborted read"]);
    expect(run({ committedAtMs: 50, resolved: "committed", delivered: 2 })).toEqual(["duplicate"]);
    expect(run({ committedAtMs: 50, resolved: "rolledBack", ends: ["rollback", "commit"] })).toEqual([
      "conflicting outcomes",
      "lost write",
    ]);
    expect(run({ committedAtMs: 150, resolved: "committed", delivered: 1 })).toEqual(["visible before commit"]);
    expect(run({ committedAtMs: 50, resolved: "rolledBack" })).toEqual(["lost write"]);
    expect(run({})).toEqual(["not live"]);
    expect(run({ resolved: "rolledBack", result: { decision: "commit" } })).toEqual(["wrong answer"]);
    expect(run({ resolved: "rolledBack", result: { decision: "" } })).toEqual(["wrong answer"]);
    expect(
      run({ committedAtMs: 50, resolved: "committed", delivered: 1, result: { rejected: "HalfNotStored" } }),
    ).toEqual(["wrong answer"]);
    // A half sent again after a lost reply, kept once by the oracle's deduplication.
    expect(run({ resolved: "rolledBack", result: { rejected: "HalfNotStored" }, halfRequests: 2 })).toEqual([
      "wrong answer",
    ]);
    // A half without the immunity its message asked for, or with none at all.
    const rolledBack = { resolved: "rolledBack", result: { rejected: "HalfNotStored" } } as const;
    expect(run({ ...rolledBack, immunity: { asked: 400, carried: 400 } })).toEqual([]);
    expect(run({ ...rolledBack, immunity: { asked: 400, carried: 0 } })).toEqual(["wrong answer"]);
    expect(run({ ...rolledBack, immunity: { asked: 0, carried: undefined } })).toEqual(["wrong answer"]);
    // The probe after the heal was never published.
    expect(run({ resolved: "rolledBack", result: { rejected: "HalfNotStored" }, probe: true })).toEqual(["not live"]);
    expect(
      run({
        committedAtMs: 50,
        resolved: "committed",
        ends: ["commit"],
        delivered: 1,
        result: { decision: "commit" },
        probe: true,
      }),
    ).toEqual([]);
  });
});
