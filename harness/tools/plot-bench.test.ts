import { describe, expect, it } from "vitest";
import { describeLogBench, type LogBenchFigures } from "../../labs/01-log-storage/bench.ts";
import { benchSvg } from "./plot-bench.ts";

const figures: LogBenchFigures = {
  date: "2026-12-02T12:00:00.000Z",
  machine: "2 × test CPU",
  loadAverage: { start: 1, end: 2 },
  recordBytes: 1084,
  diskLimitMBps: 400,
  perRecordWritesMBps: 20,
  asyncMBps: 18,
  groupCommit: [
    { producers: 1, MBps: 2, recordsPerFsync: 1 },
    { producers: 8, MBps: 8, recordsPerFsync: 4 },
    { producers: 64, MBps: 12, recordsPerFsync: 8 },
  ],
  fsyncPerRecordMBps: 2,
  asyncByRecordSize: [
    { recordBytes: 188, MBps: 3 },
    { recordBytes: 1084, MBps: 18 },
    { recordBytes: 4156, MBps: 50 },
    { recordBytes: 16444, MBps: 100 },
  ],
};

/** The y coordinates of a series' dots, in the order drawn (the path's points). */
function pathYs(svg: string, colour: string): number[] {
  const path = new RegExp(`<path d="([^"]+)" fill="none" stroke="${colour}" stroke-width="2"/>`).exec(svg);
  return [...(path?.[1] ?? "").matchAll(/,(\d+(?:\.\d+)?)/g)].map((m) => Number(m[1]));
}

describe("plot-bench: the SVG of lab 01's benchmark", () => {
  it("draws a dot for every figure, and a faster figure higher up", () => {
    const svg = benchSvg(figures);
    expect(svg.startsWith("<svg")).toBe(true);
    // Left: limit (2 ends), group commit (3), one fsync per record (2); right: limit (2), sizes (4).
    expect(svg.match(/<circle /g)?.length).toBe(13);
    const log = "#1f6fb2";
    const [groupYs, sizeYs] = [pathYs(svg, log), pathYs(svg.slice(svg.indexOf("Async flush")), log)];
    expect(groupYs).toHaveLength(3);
    expect(sizeYs).toHaveLength(4);
    for (const ys of [groupYs, sizeYs])
      for (let i = 1; i < ys.length; i++) expect(ys[i]).toBeLessThan(ys[i - 1] as number);
    expect(svg).toContain("load average 1.0 to 2.0");
  });

  it("draws the cost model's predictions beside the measured figures when the run has them", () => {
    const model = { ...figures, groupCommit: figures.groupCommit.map((g) => ({ ...g, MBps: g.MBps * 3 })) };
    const svg = benchSvg({ ...figures, model });
    expect(svg.match(/<circle /g)?.length).toBe(13 + 3 + 4);
    expect(svg.match(/the cost model's prediction/g)?.length).toBe(2);
  });

  it("draws the log with its write buffer as a line of its own in both panels", () => {
    const withBuffer: LogBenchFigures = {
      ...figures,
      buffered: {
        writeBufferBytes: 1024 * 1024,
        asyncMBps: 90,
        groupCommit: figures.groupCommit.map((g) => ({ ...g, MBps: g.MBps * 4 })),
        asyncByRecordSize: figures.asyncByRecordSize.map((s) => ({ ...s, MBps: s.MBps * 2 })),
      },
    };
    const svg = benchSvg(withBuffer);
    expect(svg.match(/<circle /g)?.length).toBe(13 + 3 + 4);
    expect(svg.match(/log with a 1 MiB write buffer/g)?.length).toBe(2);
    const green = "#1e8449";
    const [groupYs, logGroupYs] = [pathYs(svg, green), pathYs(svg, "#1f6fb2")];
    // Four times faster is higher up, at every producer count.
    for (const [i, y] of groupYs.entries()) expect(y).toBeLessThan(logGroupYs[i] as number);
  });
});

describe("the benchmark's report: goals judged on the log's fast path", () => {
  it("judges the goals on the log without a buffer when the run has no buffered figures", () => {
    const lines = describeLogBench(figures).join("\n");
    expect(lines).toContain("goal: async flush at least 50% of the disk's limit: 4.5%, NOT met");
    expect(lines).toContain("goal: group commit at 64 producers at least 10x one fsync per record: 6.0x, NOT met");
  });

  it("judges them on the buffered log when there is one, and still prints the unbuffered rows", () => {
    const lines = describeLogBench({
      ...figures,
      buffered: {
        writeBufferBytes: 1024 * 1024,
        asyncMBps: 220,
        groupCommit: figures.groupCommit.map((g) => ({ ...g, MBps: g.MBps * 4 })),
        asyncByRecordSize: figures.asyncByRecordSize,
      },
    }).join("\n");
    expect(lines).toContain("goal: async flush with a 1 MiB write buffer at least 50% of the disk's limit: 55.0%, met");
    expect(lines).toContain("with a 1 MiB write buffer at 64 producers at least 10x one fsync per record: 24.0x, met");
    expect(lines).toContain("the log without a write buffer (a write call per record):");
    expect(lines).toMatch(
      /the log with a 1 MiB write buffer \(part H; the goals are judged here\):\n {4}async flush, 1 producer \(until close\) +220.0 MB\/s {2}55.0%/,
    );
  });

  it("prints the floor, the log's rate as a share of it, and each round's limit when the run has them", () => {
    const lines = describeLogBench({
      ...figures,
      diskLimitRoundsMBps: [380, 400, 1200],
      encodeAndCopyMBps: 80,
      buffered: {
        writeBufferBytes: 1024 * 1024,
        asyncMBps: 60,
        groupCommit: figures.groupCommit,
        asyncByRecordSize: [],
      },
    }).join("\n");
    expect(lines).toContain("(the limit in each round: 380.0, 400.0, 1200.0 MB/s)");
    expect(lines).toMatch(/floor: encode, copy into a 1 MiB buffer, no log +80.0 MB\/s {2}20.0%/);
    expect(lines).toContain("the log's async flush with a 1 MiB write buffer runs at 75% of the floor's rate");
    // Without them (a run from before they existed), neither line appears.
    expect(describeLogBench(figures).join("\n")).not.toMatch(/floor|each round/);
  });
});
