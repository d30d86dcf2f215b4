import { describe, expect, it } from "vitest";
import type { LogBenchFigures } from "../../labs/01-log-storage/bench.ts";
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
});
