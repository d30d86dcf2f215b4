/**
 * L3.F's checker on hand-written histories and logs: the minimal counterexample of each anomaly in
 * its header is reported, with that name first, and a clean run of the same shape is not. A
 * checker that cannot fail, or fails correct runs, would be a false verdict for every learner.
 */
import { describe, expect, it } from "vitest";
import { History } from "#harness/workloads/history.ts";
import type { LogEntry } from "#labs/shared/broker/protocol.ts";
import { checkKafka } from "./check-kafka.ts";

/** A history whose clock the test moves by hand. */
function recorder() {
  let nowMs = 0;
  const history = new History(() => nowMs);
  const at = (ms: number) => {
    nowMs = ms;
  };
  const op = (client: string, f: string, input: unknown, output: unknown, status: "ok" | "fail" | "info" = "ok") => {
    const o = history.invoke(client, f, input);
    nowMs += 1;
    history.complete(o, status, status === "info" ? { note: "no answer" } : { output });
    return o;
  };
  return { history, at, op };
}

const data = (offset: number, producerId: number, epoch: number, key: string, sequence = 0): LogEntry => ({
  kind: "data",
  offset,
  producerId,
  epoch,
  sequence,
  records: [{ key, body: key.slice(0, key.lastIndexOf("/")) }],
});
const marker = (offset: number, producerId: number, epoch: number, commit: boolean): LogEntry => ({
  kind: "marker",
  offset,
  producerId,
  epoch,
  commit,
});

/** tx-a commits tx-a/1 (one record on partition 0) at epoch 0; the consumer reads it after. */
function committedOnce() {
  const r = recorder();
  r.at(0);
  r.op("k1", "init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 0 });
  r.op("k1", "add", { id: "tx-a", txn: "tx-a/1", partitions: [0], epoch: 0 }, { kind: "ok" });
  r.op(
    "k1",
    "produce",
    { id: "tx-a", txn: "tx-a/1", partition: 0, epoch: 0, sequence: 0, key: "tx-a/1/r1" },
    { kind: "ok", baseOffset: 0 },
  );
  r.at(10);
  r.op("k1", "end", { id: "tx-a", txn: "tx-a/1", commit: true, epoch: 0 }, { kind: "ok", epoch: 1 });
  return r;
}

const names = (found: ReturnType<typeof checkKafka>) => found.map((a) => a.name);

describe("the L3.F checker", () => {
  it("passes a committed record read once after its commit", () => {
    const r = committedOnce();
    r.at(20);
    r.op("c1", "receive", { partition: 0, offset: 0, key: "tx-a/1/r1" }, undefined);
    expect(checkKafka({ ops: r.history.ops, logs: [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, true)]] })).toEqual([]);
  });

  it("aborted read: a record whose batch an ABORT marker closes", () => {
    const r = recorder();
    r.op(
      "k1",
      "produce",
      { id: "tx-a", txn: "tx-a/1", partition: 0, epoch: 0, sequence: 0, key: "tx-a/1/r1" },
      { kind: "ok", baseOffset: 0 },
    );
    r.at(20);
    r.op("c1", "receive", { partition: 0, offset: 0, key: "tx-a/1/r1" }, undefined);
    const found = checkKafka({ ops: r.history.ops, logs: [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, false)]] });
    expect(names(found)[0]).toBe("aborted read");
  });

  it("aborted read: a late record of an aborted transaction committed with the next one", () => {
    const r = recorder();
    r.op(
      "k2",
      "produce",
      { id: "tx-b", txn: "tx-b/1", partition: 0, epoch: 0, sequence: 0, key: "tx-b/1/r1" },
      undefined,
      "info",
    );
    r.op("k2", "end", { id: "tx-b", txn: "tx-b/1", commit: false, epoch: 0 }, { kind: "ok", epoch: 0 });
    r.at(50);
    r.op("c1", "receive", { partition: 0, offset: 1, key: "tx-b/1/r1" }, undefined);
    const logs = [
      [marker(0, 1, 0, false), data(1, 1, 0, "tx-b/1/r1"), data(2, 1, 0, "tx-b/2/r1", 1), marker(3, 1, 0, true)],
    ];
    expect(names(checkKafka({ ops: r.history.ops, logs }))[0]).toBe("aborted read");
  });

  it("duplicate: one record read at two offsets", () => {
    const r = committedOnce();
    r.at(20);
    r.op("c1", "receive", { partition: 0, offset: 0, key: "tx-a/1/r1" }, undefined);
    r.op("c1", "receive", { partition: 0, offset: 1, key: "tx-a/1/r1" }, undefined);
    const logs = [[data(0, 0, 0, "tx-a/1/r1"), data(1, 0, 0, "tx-a/1/r1", 1), marker(2, 0, 1, true)]];
    expect(names(checkKafka({ ops: r.history.ops, logs }))).toEqual(["duplicate"]);
  });

  it("visible before commit: a record read before its client asked to commit", () => {
    const r = recorder();
    r.op(
      "k1",
      "produce",
      { id: "tx-a", txn: "tx-a/1", partition: 0, epoch: 0, sequence: 0, key: "tx-a/1/r1" },
      { kind: "ok", baseOffset: 0 },
    );
    r.at(5);
    r.op("c1", "receive", { partition: 0, offset: 0, key: "tx-a/1/r1" }, undefined);
    r.at(10);
    r.op("k1", "end", { id: "tx-a", txn: "tx-a/1", commit: true, epoch: 0 }, { kind: "ok", epoch: 1 });
    const logs = [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, true)]];
    expect(names(checkKafka({ ops: r.history.ops, logs }))).toEqual(["visible before commit"]);
  });

  it("lost write: an acknowledged commit whose record is never read", () => {
    const r = committedOnce();
    const logs = [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, false)]];
    expect(names(checkKafka({ ops: r.history.ops, logs }))).toEqual(["lost write"]);
  });

  it("hanging transaction: a batch no marker of its producer follows", () => {
    const r = recorder();
    r.op(
      "k2",
      "produce",
      { id: "tx-b", txn: "tx-b/1", partition: 0, epoch: 0, sequence: 0, key: "tx-b/1/r1" },
      undefined,
      "info",
    );
    r.op("k2", "end", { id: "tx-b", txn: "tx-b/1", commit: false, epoch: 0 }, { kind: "ok", epoch: 1 });
    const logs = [[marker(0, 1, 1, false), data(1, 1, 1, "tx-b/1/r1")]];
    expect(names(checkKafka({ ops: r.history.ops, logs }))).toEqual(["hanging transaction"]);
  });

  it("zombie write: a batch after a marker of a newer epoch, or sent after a newer epoch was issued", () => {
    const inLog = recorder();
    inLog.op(
      "k2",
      "produce",
      { id: "tx-b", txn: "tx-b/1", partition: 0, epoch: 3, sequence: 0, key: "tx-b/1/r1" },
      undefined,
      "info",
    );
    const logs = [[marker(0, 1, 4, false), data(1, 1, 3, "tx-b/1/r1"), marker(2, 1, 5, false)]];
    expect(names(checkKafka({ ops: inLog.history.ops, logs }))).toEqual(["zombie write"]);

    const byTime = recorder();
    byTime.op("k3", "init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 2 });
    byTime.at(10);
    byTime.op(
      "k1",
      "produce",
      { id: "tx-a", txn: "tx-a/1", partition: 1, epoch: 1, sequence: 0, key: "tx-a/1/r2" },
      { kind: "ok", baseOffset: 0 },
    );
    const logs2 = [[], [data(0, 0, 1, "tx-a/1/r2"), marker(1, 0, 2, false)]];
    expect(names(checkKafka({ ops: byTime.history.ops, logs: logs2 }))).toEqual(["zombie write"]);
  });

  it("not live: a record committed in the log, its commit asked for, never read", () => {
    const r = recorder();
    r.op(
      "k1",
      "produce",
      { id: "tx-a", txn: "tx-a/1", partition: 0, epoch: 0, sequence: 0, key: "tx-a/1/r1" },
      { kind: "ok", baseOffset: 0 },
    );
    r.op("k1", "end", { id: "tx-a", txn: "tx-a/1", commit: true, epoch: 0 }, undefined, "info");
    const logs = [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, true)]];
    expect(names(checkKafka({ ops: r.history.ops, logs }))).toEqual(["not live"]);
  });

  it("not live: the probe after the heal did not commit one of its transactions", () => {
    const r = committedOnce();
    r.at(20);
    r.op("c1", "receive", { partition: 0, offset: 0, key: "tx-a/1/r1" }, undefined);
    const logs = [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, true)]];
    // tx-a/1 committed; tx-a/2 (begun after the timeout) was refused and aborted.
    r.op("k1", "add", { id: "tx-a", txn: "tx-a/2", partitions: [0], epoch: 1 }, { kind: "ok" });
    r.op(
      "k1",
      "produce",
      { id: "tx-a", txn: "tx-a/2", partition: 0, epoch: 1, sequence: 0, key: "tx-a/2/r1" },
      { kind: "outOfOrder", expected: 1 },
      "fail",
    );
    r.op("k1", "end", { id: "tx-a", txn: "tx-a/2", commit: false, epoch: 1 }, { kind: "ok", epoch: 2 });
    const probe = { id: "tx-a", attempts: [["tx-a/1", "tx-a/2"]] };
    expect(names(checkKafka({ ops: r.history.ops, logs, probe }))).toEqual(["not live"]);
    expect(
      names(checkKafka({ ops: r.history.ops, logs, probe: { id: "tx-a", attempts: [["tx-a/2"], ["tx-a/1"]] } })),
    ).toEqual([]);
  });

  it("wrong answer: the coordinator accepts an add from an epoch older than one already issued", () => {
    const r = recorder();
    r.op("k1", "init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 0 });
    r.at(10);
    r.op("k3", "init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 2 });
    r.at(20);
    const add = { id: "tx-a", txn: "tx-a/1", partitions: [1], epoch: 0 };
    r.op("k1", "add", add, { kind: "ok" });
    expect(names(checkKafka({ ops: r.history.ops, logs: [] }))).toEqual(["wrong answer"]);
    const fenced = recorder();
    fenced.op("k1", "init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 0 });
    fenced.op("k3", "init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 2 });
    fenced.op("k1", "add", add, { kind: "fenced" }, "fail");
    expect(names(checkKafka({ ops: fenced.history.ops, logs: [] }))).toEqual([]);
  });
});
