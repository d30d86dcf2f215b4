/**
 * L4.F's checker on hand-built evidence: a clean run passes; each anomaly fires on the input that
 * shows it, and names the records, nodes and generations involved.
 */
import { describe, expect, it } from "vitest";
import type { Op } from "#harness/workloads/history.ts";
import type { GroupEvent } from "#labs/shared/broker/kafka/groups.ts";
import type { LogEntry } from "#labs/shared/broker/protocol.ts";
import { checkTransform, type TransformEvidence } from "./check-transform.ts";

const inputs = [
  { partition: 0, offset: 0, key: "o1" },
  { partition: 0, offset: 2, key: "o2" },
  { partition: 1, offset: 0, key: "o3" },
];

const out = (partition: number, offset: number, key: string, source: { partition: number; offset: number }) => ({
  partition,
  offset,
  key,
  source,
});

const data = (offset: number, producerId: number): LogEntry => ({
  kind: "data",
  offset,
  producerId,
  epoch: 0,
  sequence: 0,
  records: [],
});
const marker = (offset: number, producerId: number, commit: boolean): LogEntry => ({
  kind: "marker",
  offset,
  producerId,
  epoch: 1,
  commit,
});

const generation = (n: number, members: [string, number[]][]): GroupEvent => ({
  kind: "generation",
  atMs: n * 10,
  group: "transformers",
  generation: n,
  members: members.map(([node, partitions]) => ({ memberId: `${node}-g${n}`, node, partitions })),
});

const commit = (node: string, sent: number, partition: number, atMs: number): GroupEvent => ({
  kind: "commit",
  atMs,
  group: "transformers",
  node,
  memberId: `${node}-g1`,
  generation: sent,
  currentGeneration: 2,
  nodeIsMember: true,
  producerId: 0,
  topic: "orders-in",
  offsets: [{ partition, offset: 3 }],
});

let index = 0;
function op(client: string, f: string, input: unknown, output: unknown, completedAtMs = 50): Op {
  index += 1;
  return { index, client, f, input, invokedAtMs: completedAtMs - 2, status: "ok", output, completedAtMs };
}

/** A clean run: every input once in payments, each batch committed, offsets at the end. */
function clean(): TransformEvidence {
  return {
    inputs,
    outputs: [
      out(0, 0, "o1", inputs[0] as never),
      out(0, 0, "o2", inputs[1] as never),
      out(1, 0, "o3", inputs[2] as never),
    ],
    rawOutputs: [[data(0, 7), marker(1, 7, true)], [data(0, 8), marker(1, 8, true)], []],
    committed: [3, 1, null],
    groupEvents: [generation(1, [["t1", [0, 1, 2]]]), commit("t1", 1, 0, 40)],
    ops: [],
  };
}

describe("the transform checker", () => {
  it("passes a clean run", () => {
    expect(checkTransform(clean())).toEqual([]);
  });

  it("names an input transformed twice, with who wrote each output and under which generation", () => {
    const e = clean();
    e.outputs = [...e.outputs, out(0, 2, "o1", { partition: 0, offset: 0 })];
    e.rawOutputs = [[data(0, 7), marker(1, 7, true), data(2, 9), marker(3, 9, true)], e.rawOutputs[1] ?? [], []];
    e.ops = [
      op(
        "t1",
        "produceTxn",
        { topic: "payments", partition: 0, producerId: 7, epoch: 4 },
        { kind: "ok", baseOffset: 0 },
      ),
      op("t1", "txnOffsetCommit", { producerId: 7, epoch: 4, generation: 1 }, { kind: "ok" }),
      op("t1", "endTxn", { producerId: 7, epoch: 4, commit: true }, { kind: "ok", epoch: 5 }, 60),
      op(
        "t2",
        "produceTxn",
        { topic: "payments", partition: 0, producerId: 9, epoch: 0 },
        { kind: "ok", baseOffset: 2 },
      ),
      op("t2", "txnOffsetCommit", { producerId: 9, epoch: 0, generation: -1 }, { kind: "ok" }),
    ];
    const found = checkTransform(e);
    expect(found.map((a) => a.name)).toEqual(["duplicate"]);
    expect(found[0]?.explanation).toContain("orders-in/0:0 transformed 2 times");
    expect(found[0]?.explanation).toContain(
      "payments/0:0 by t1 (epoch 4, generation 1, commit acknowledged at 60.000ms)",
    );
    expect(found[0]?.explanation).toContain(
      "payments/0:2 by t2 (epoch 0, offsets with no generation, commit never asked)",
    );
    expect(found[0]?.ops).toHaveLength(5);
  });

  it("names an offset commit accepted for a partition the current generation gave to another node", () => {
    const e = clean();
    e.groupEvents = [
      generation(1, [["t1", [0, 1, 2]]]),
      generation(2, [
        ["t2", [0, 1, 2]],
        ["t3", []],
      ]),
      commit("t1", -1, 1, 250),
    ];
    const found = checkTransform(e);
    expect(found.map((a) => a.name)).toEqual(["zombie commit"]);
    expect(found[0]?.explanation).toContain(
      "t1 committed orders-in/1 at 3 (t2's) in a transaction, no generation sent",
    );
    expect(found[0]?.explanation).toContain("at 250.000ms while the group was at generation 2");
  });

  it("names an output made from an aborted input, and one read though its batch was aborted", () => {
    const e = clean();
    e.outputs = [...e.outputs, out(1, 0, "o9", { partition: 2, offset: 5 })];
    e.rawOutputs = [[data(0, 7), marker(1, 7, false)], e.rawOutputs[1] ?? [], []];
    const found = checkTransform(e);
    expect(found.map((a) => a.name)).toEqual(["aborted read", "aborted read", "aborted read"]);
    expect(found.map((a) => a.explanation).join("\n")).toContain(
      "made from orders-in/2:5, which no committed transaction wrote",
    );
    expect(found.map((a) => a.explanation).join("\n")).toContain("an ABORT marker closes its batch");
  });

  it("names an input with no output, and offsets that never reached the end", () => {
    const e = clean();
    e.outputs = e.outputs.filter((o) => o.key !== "o3");
    e.committed = [3, 0, null];
    const found = checkTransform(e);
    expect(found.map((a) => a.name)).toEqual(["lost write", "not live"]);
    expect(found[0]?.explanation).toContain(
      "orders-in/1:0 (key o3) was committed to orders-in but no committed output",
    );
    expect(found[1]?.explanation).toContain(
      "orders-in/1: the group's committed offset is 0 1.5 s after the heal, but its last committed record is at 0",
    );
    expect(checkTransform({ ...clean(), committed: "unstable" }).map((a) => a.name)).toEqual(["not live"]);
  });
});
