/**
 * L3.F's checker on hand-written histories and logs: the minimal counterexample of each anomaly in
 * its header is reported, with that name first, and a clean run of the same shape is not. A
 * checker that cannot fail, or fails correct runs, would be a false verdict for every learner.
 */
import { describe, expect, it } from "vitest";
import { History } from "#harness/workloads/history.ts";
import type { LogEntry } from "#labs/shared/broker/protocol.ts";
import { checkKafka, TIMEOUT_ENFORCED_WITHIN_MS } from "./check-kafka.ts";

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
  /** `txn`'s produce of `key` (sequence 0); with no `baseOffset`, a request left unanswered. */
  const produce = (client: string, txn: string, partition: number, epoch: number, key: string, baseOffset?: number) =>
    baseOffset === undefined
      ? op(client, "produce", { id: idOf(txn), txn, partition, epoch, sequence: 0, key }, undefined, "info")
      : op(client, "produce", { id: idOf(txn), txn, partition, epoch, sequence: 0, key }, { kind: "ok", baseOffset });
  /** `txn`'s end request; with no `replyEpoch`, left unanswered. */
  const end = (client: string, txn: string, commit: boolean, epoch: number, replyEpoch?: number) =>
    replyEpoch === undefined
      ? op(client, "end", { id: idOf(txn), txn, commit, epoch }, undefined, "info")
      : op(client, "end", { id: idOf(txn), txn, commit, epoch }, { kind: "ok", epoch: replyEpoch });
  const receive = (partition: number, offset: number, key: string) =>
    op("c1", "receive", { partition, offset, key }, undefined);
  return { history, at, op, produce, end, receive };
}

type Recorder = ReturnType<typeof recorder>;

/** The transactional id of a transaction: "tx-a" of "tx-a/1". */
const idOf = (txn: string): string => txn.slice(0, txn.indexOf("/"));

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

const names = (anomalies: { name: string }[]): string[] => anomalies.map((a) => a.name);

/** tx-a commits tx-a/1 (one record on partition 0) at epoch 0; the consumer reads it after. */
function committedOnce(r: Recorder): void {
  r.at(0);
  r.op("k1", "init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 0 });
  r.op("k1", "add", { id: "tx-a", txn: "tx-a/1", partitions: [0], epoch: 0 }, { kind: "ok" });
  r.produce("k1", "tx-a/1", 0, 0, "tx-a/1/r1", 0);
  r.at(10);
  r.end("k1", "tx-a/1", true, 0, 1);
}

interface Case {
  name: string;
  /** Writes the history, on a clock at 0. */
  run(r: Recorder): void;
  logs: LogEntry[][];
  /** The anomalies' names, in order: all of them, or (`first`) the first only. */
  found: string[];
  first?: true;
}

const cases: Case[] = [
  {
    name: "passes a committed record read once after its commit",
    run(r) {
      committedOnce(r);
      r.at(20);
      r.receive(0, 0, "tx-a/1/r1");
    },
    logs: [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, true)]],
    found: [],
  },
  {
    name: "aborted read: a record whose batch an ABORT marker closes",
    run(r) {
      r.produce("k1", "tx-a/1", 0, 0, "tx-a/1/r1", 0);
      r.at(20);
      r.receive(0, 0, "tx-a/1/r1");
    },
    logs: [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, false)]],
    found: ["aborted read"],
    first: true,
  },
  {
    name: "aborted read: a late record of an aborted transaction committed with the next one",
    run(r) {
      r.produce("k2", "tx-b/1", 0, 0, "tx-b/1/r1");
      r.end("k2", "tx-b/1", false, 0, 0);
      r.at(50);
      r.receive(0, 1, "tx-b/1/r1");
    },
    logs: [[marker(0, 1, 0, false), data(1, 1, 0, "tx-b/1/r1"), data(2, 1, 0, "tx-b/2/r1", 1), marker(3, 1, 0, true)]],
    found: ["aborted read"],
    first: true,
  },
  {
    name: "duplicate: one record read at two offsets",
    run(r) {
      committedOnce(r);
      r.at(20);
      r.receive(0, 0, "tx-a/1/r1");
      r.receive(0, 1, "tx-a/1/r1");
    },
    logs: [[data(0, 0, 0, "tx-a/1/r1"), data(1, 0, 0, "tx-a/1/r1", 1), marker(2, 0, 1, true)]],
    found: ["duplicate"],
  },
  {
    name: "duplicate: one record read twice at one offset (nextOffset did not move past it)",
    run(r) {
      committedOnce(r);
      r.at(20);
      r.receive(0, 0, "tx-a/1/r1");
      r.at(30);
      r.receive(0, 0, "tx-a/1/r1");
    },
    logs: [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, true)]],
    found: ["duplicate"],
  },
  {
    name: "wrong answer: read_committed handed the consumer a marker, or a reply the protocol does not have",
    run(r) {
      committedOnce(r);
      r.at(20);
      r.receive(0, 0, "tx-a/1/r1");
      r.op("c1", "stray", { partition: 0, what: 'the entry {"kind":"marker","offset":1}' }, undefined);
      r.op("c1", "stray", { partition: 0, what: "the reply {}" }, undefined);
    },
    logs: [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, true)]],
    found: ["wrong answer"],
  },
  {
    name: "visible before commit: a record read before its client asked to commit",
    run(r) {
      r.produce("k1", "tx-a/1", 0, 0, "tx-a/1/r1", 0);
      r.at(5);
      r.receive(0, 0, "tx-a/1/r1");
      r.at(10);
      r.end("k1", "tx-a/1", true, 0, 1);
    },
    logs: [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, true)]],
    found: ["visible before commit"],
  },
  {
    name: "lost write: an acknowledged commit whose record is never read",
    run: committedOnce,
    logs: [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, false)]],
    found: ["lost write"],
  },
  {
    name: "hanging transaction: a batch no marker of its producer follows",
    run(r) {
      r.produce("k2", "tx-b/1", 0, 0, "tx-b/1/r1");
      r.end("k2", "tx-b/1", false, 0, 1);
    },
    logs: [[marker(0, 1, 1, false), data(1, 1, 1, "tx-b/1/r1")]],
    found: ["hanging transaction"],
  },
  {
    name: "zombie write: a batch after a marker of a newer epoch",
    run(r) {
      r.produce("k2", "tx-b/1", 0, 3, "tx-b/1/r1");
    },
    logs: [[marker(0, 1, 4, false), data(1, 1, 3, "tx-b/1/r1"), marker(2, 1, 5, false)]],
    found: ["zombie write"],
  },
  {
    name: "zombie write: a batch sent after a newer epoch was issued",
    run(r) {
      r.op("k3", "init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 2 });
      r.at(10);
      r.produce("k1", "tx-a/1", 1, 1, "tx-a/1/r2", 0);
    },
    logs: [[], [data(0, 0, 1, "tx-a/1/r2"), marker(1, 0, 2, false)]],
    found: ["zombie write"],
  },
  {
    name: "not live: a record committed in the log, its commit asked for, never read",
    run(r) {
      r.produce("k1", "tx-a/1", 0, 0, "tx-a/1/r1", 0);
      r.end("k1", "tx-a/1", true, 0);
    },
    logs: [[data(0, 0, 0, "tx-a/1/r1"), marker(1, 0, 1, true)]],
    found: ["not live"],
  },
];

describe("the L3.F checker", () => {
  it.each(cases)("$name", ({ run, logs, found, first }) => {
    const r = recorder();
    run(r);
    const all = names(checkKafka({ ops: r.history.ops, logs }));
    expect(first === true ? all.slice(0, 1) : all).toEqual(found);
  });

  it("not live: the probe after the heal did not commit one of its transactions", () => {
    const r = recorder();
    committedOnce(r);
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
  it("hanging transaction: committed records stuck behind an open batch are told in its report, not as lost writes", () => {
    const r = recorder();
    // tx-c/1 is abandoned after one record (its producer died); tx-a/1 commits behind it.
    r.op("k5", "add", { id: "tx-c", txn: "tx-c/1", partitions: [0], epoch: 0 }, { kind: "ok" });
    r.produce("k5", "tx-c/1", 0, 0, "tx-c/1/r1", 0);
    r.op("k1", "init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 0 });
    r.op("k1", "add", { id: "tx-a", txn: "tx-a/1", partitions: [0], epoch: 0 }, { kind: "ok" });
    r.produce("k1", "tx-a/1", 0, 0, "tx-a/1/r1", 1);
    r.at(10);
    r.end("k1", "tx-a/1", true, 0, 1);
    const logs = [[data(0, 1, 0, "tx-c/1/r1"), data(1, 0, 0, "tx-a/1/r1"), marker(2, 0, 1, true)]];
    const found = checkKafka({ ops: r.history.ops, logs });
    expect(names(found)).toEqual(["hanging transaction"]);
    expect(found[0]?.explanation).toContain(
      "1 record behind it whose commit was acknowledged never reached the consumer (tx-a/1/r1)",
    );
    expect(found[0]?.explanation).toContain("Its producer never sent an end for tx-c/1");
    // Closed by the timeout's ABORT marker: the committed record must then be read, or it is lost.
    const closed = [
      [data(0, 1, 0, "tx-c/1/r1"), data(1, 0, 0, "tx-a/1/r1"), marker(2, 1, 1, false), marker(3, 0, 1, true)],
    ];
    expect(names(checkKafka({ ops: r.history.ops, logs: closed }))).toEqual(["lost write"]);
  });

  it("timeout not enforced: a paused producer's add and commit accepted past the timeout, the broker up", () => {
    const zombie = (addReply: { kind: string }, endReply?: number) => {
      const r = recorder();
      r.op("k1", "init", { id: "tx-a" }, { kind: "ok", producerId: 0, epoch: 0 });
      r.op("k1", "add", { id: "tx-a", txn: "tx-a/1", partitions: [0], epoch: 0 }, { kind: "ok" });
      r.produce("k1", "tx-a/1", 0, 0, "tx-a/1/r1", 0);
      // The first add was acknowledged at 2 ms; k1 wakes past the timeout, two scans and the margin.
      r.at(2 + TIMEOUT_ENFORCED_WITHIN_MS + 1);
      const ok = addReply.kind === "ok";
      r.op("k1", "add", { id: "tx-a", txn: "tx-a/1", partitions: [1], epoch: 0 }, addReply, ok ? "ok" : "fail");
      if (endReply !== undefined) r.end("k1", "tx-a/1", true, 0, endReply);
      return r.history.ops;
    };
    const found = checkKafka({ ops: zombie({ kind: "ok" }), logs: [] });
    expect(names(found)).toEqual(["timeout not enforced"]);
    expect(found[0]?.explanation).toContain("after tx-a/1 began");
    // Refused: what the contract asks.
    expect(names(checkKafka({ ops: zombie({ kind: "fenced" }), logs: [] }))).toEqual([]);
    // The commit alone accepted late is reported too (once per transaction).
    const commitOnly = recorder();
    commitOnly.op("k1", "add", { id: "tx-a", txn: "tx-a/1", partitions: [0], epoch: 0 }, { kind: "ok" });
    commitOnly.at(2 + TIMEOUT_ENFORCED_WITHIN_MS + 1);
    commitOnly.end("k1", "tx-a/1", true, 0, 1);
    expect(names(checkKafka({ ops: commitOnly.history.ops, logs: [] }))).toEqual(["timeout not enforced"]);
    // Within the allowance, or with a broker death in between, the coordinator is not held to it.
    const early = recorder();
    early.op("k1", "add", { id: "tx-a", txn: "tx-a/1", partitions: [0], epoch: 0 }, { kind: "ok" });
    early.at(TIMEOUT_ENFORCED_WITHIN_MS);
    early.end("k1", "tx-a/1", true, 0, 1);
    expect(names(checkKafka({ ops: early.history.ops, logs: [] }))).toEqual([]);
    expect(names(checkKafka({ ops: zombie({ kind: "ok" }), logs: [], brokerDeathsMs: [100] }))).toEqual([]);
    // An abort sent late is not a write: accepting it harms nothing.
    const abort = recorder();
    abort.op("k1", "add", { id: "tx-a", txn: "tx-a/1", partitions: [0], epoch: 0 }, { kind: "ok" });
    abort.at(2 + TIMEOUT_ENFORCED_WITHIN_MS + 1);
    abort.end("k1", "tx-a/1", false, 0, 1);
    expect(names(checkKafka({ ops: abort.history.ops, logs: [] }))).toEqual([]);
  });
});
