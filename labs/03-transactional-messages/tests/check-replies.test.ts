/**
 * The reply checks of L3.F on hand-written histories and logs: each contract sentence they test is
 * reported when broken, and the right reply of the same shape is not.
 */
import { describe, expect, it } from "vitest";
import { History, type Op } from "#harness/workloads/history.ts";
import type { LogEntry } from "#labs/shared/broker/protocol.ts";
import { checkReplies, type ProbeEndInput } from "./check-replies.ts";

function recorder() {
  const history = new History(() => 0);
  const op = (f: string, input: unknown, output: unknown, status: "ok" | "fail" = "ok"): Op => {
    const o = history.invoke("k1", f, input);
    history.complete(o, status, { output });
    return o;
  };
  return { history, op };
}

const batch = (offset: number, epoch: number, key: string): LogEntry => ({
  kind: "data",
  offset,
  producerId: 0,
  epoch,
  sequence: 0,
  records: [{ key, body: "" }],
});
const marker = (offset: number, epoch: number, commit: boolean): LogEntry => ({
  kind: "marker",
  offset,
  producerId: 0,
  epoch,
  commit,
});
const end = { id: "tx-a", txn: "tx-a/1", commit: true, epoch: 0 };
const explanations = (ops: readonly Op[], logs: LogEntry[][] = []): string[] =>
  checkReplies(ops, logs).map((a) => `${a.name}: ${a.explanation}`);

describe("L3.F's reply checks", () => {
  it("a reply the protocol does not have, or an ok without its numbers", () => {
    for (const [f, output] of [
      ["init", {}],
      ["init", { kind: "ok", producerId: 0 }],
      ["add", { kind: "noSuchTopic" }],
      ["add", { kind: "invalidTxnState" }],
      ["end", { kind: "" }],
      ["end", { kind: "ok" }],
      ["produce", { kind: "ok" }],
    ] as const) {
      const r = recorder();
      r.op(f, { id: "tx-a" }, output, output.kind === "ok" ? "ok" : "fail");
      const found = explanations(r.history.ops);
      expect(found, `${f} -> ${JSON.stringify(output)}`).toHaveLength(1);
      expect(found[0]).toMatch(/^wrong answer: k1: /);
    }
    const r = recorder();
    r.op("init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 0 });
    r.op("add", { id: "tx-a" }, { kind: "fenced" }, "fail");
    r.op("produce", { id: "tx-a" }, { kind: "outOfOrder", expected: 1 }, "fail");
    r.op("end", end, { kind: "concurrentTransactions" }, "fail");
    expect(explanations(r.history.ops)).toEqual([]);
  });

  it("a commit refused that the log commits", () => {
    const logs = [[batch(0, 0, "tx-a/1/r1"), marker(1, 1, true)]];
    for (const refusal of ["fenced", "invalidTxnState"]) {
      const r = recorder();
      r.op("end", end, { kind: refusal }, "fail");
      const found = explanations(r.history.ops, logs);
      expect(found).toHaveLength(1);
      expect(found[0]).toContain("was refused");
      expect(found[0]).toContain("COMMIT marker at 1");
    }
    // Refused and aborted (the timeout's abort), or given up on while concurrentTransactions.
    const refused = recorder();
    refused.op("end", end, { kind: "fenced" }, "fail");
    expect(explanations(refused.history.ops, [[batch(0, 0, "tx-a/1/r1"), marker(1, 1, false)]])).toEqual([]);
    const busy = recorder();
    busy.op("end", end, { kind: "concurrentTransactions" }, "fail");
    expect(explanations(busy.history.ops, logs)).toEqual([]);
  });

  it("a retried produce refused outOfOrder though its batch is in the log, or an offset the log does not have", () => {
    const produce = { id: "tx-a", txn: "tx-a/1", partition: 0, epoch: 0, sequence: 0, key: "tx-a/1/r1" };
    const logs = [[batch(0, 0, "tx-a/1/r1")]];
    const refused = recorder();
    refused.op("produce", produce, { kind: "outOfOrder", expected: 1 }, "fail");
    const found = explanations(refused.history.ops, logs);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("holds that very batch");
    // Not in the log (the first try never arrived): outOfOrder may be right.
    expect(explanations(refused.history.ops, [[]])).toEqual([]);
    const offsets = recorder();
    offsets.op("produce", produce, { kind: "duplicate", baseOffset: 3 });
    expect(explanations(offsets.history.ops, logs)).toHaveLength(1);
    const right = recorder();
    right.op("produce", produce, { kind: "duplicate", baseOffset: 0 });
    right.op("produce", { ...produce, sequence: 1, key: "tx-a/1/r2" }, { kind: "outOfOrder", expected: 1 }, "fail");
    expect(explanations(right.history.ops, logs)).toEqual([]);
  });

  it("an ok end whose epoch is not its markers'", () => {
    const logs = [[batch(0, 0, "tx-a/1/r1"), marker(1, 1, true)]];
    const wrong = recorder();
    wrong.op("end", end, { kind: "ok", epoch: 2 });
    const found = explanations(wrong.history.ops, logs);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("next epoch is 2");
    const right = recorder();
    right.op("end", end, { kind: "ok", epoch: 1 });
    expect(explanations(right.history.ops, logs)).toEqual([]);
  });

  it("the probe's ends, each answered as the contract says", () => {
    const probe = (expected: ProbeEndInput["expected"], output: unknown): string[] => {
      const r = recorder();
      const input: ProbeEndInput = { ...end, id: "tx-p", txn: "tx-p/2", expected, what: "a retry" };
      r.op("end-probe", input, output, "ok");
      return explanations(r.history.ops);
    };
    expect(probe({ kind: "ok", epoch: 6 }, { kind: "ok", epoch: 6 })).toEqual([]);
    expect(probe({ kind: "ok", epoch: 6 }, { kind: "ok", epoch: 7 })).toHaveLength(1);
    expect(probe({ kind: "ok", epoch: 6 }, { kind: "fenced" })).toHaveLength(1);
    expect(probe({ kind: "fenced" }, { kind: "fenced" })).toEqual([]);
    const found = probe({ kind: "fenced" }, { kind: "invalidTxnState" });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("the probe sent a retry");
  });
});
