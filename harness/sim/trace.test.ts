import { describe, expect, it } from "vitest";
import { Ring } from "./ring.ts";
import { KEPT_HEAD_LINES, KEPT_TAIL_LINES, RECENT_ENTRIES, RECENT_LOG_LINES, Trace } from "./trace.ts";

describe("trace", () => {
  it("a ring keeps the last values pushed, oldest first", () => {
    const ring = new Ring<number>(3);
    expect(ring.toArray()).toEqual([]);
    for (let i = 1; i <= 2; i++) ring.push(i);
    expect(ring.toArray()).toEqual([1, 2]);
    for (let i = 3; i <= 7; i++) ring.push(i);
    expect(ring.toArray()).toEqual([5, 6, 7]);
    expect(ring.pushed).toBe(7);
  });

  it("keeps the recent past of every run, and the learner's last log lines apart", () => {
    const trace = new Trace();
    trace.recordLog('{"level":40,"msg":"early warning"}');
    for (let i = 0; i < RECENT_ENTRIES + 10; i++) trace.record(i, "n1", "disk", `write ${i}`);
    expect(trace.recent()).toHaveLength(RECENT_ENTRIES);
    expect(trace.recent().at(-1)).toBe(`${RECENT_ENTRIES + 9}.000ms n1 disk write ${RECENT_ENTRIES + 9}`);
    // The log line is long gone from the recent entries, but not from the log lines.
    expect(trace.recentLogLines()).toEqual(['{"level":40,"msg":"early warning"}']);
    for (let i = 0; i < RECENT_LOG_LINES + 1; i++) trace.recordLog(`{"msg":"${i}"}`);
    expect(trace.recentLogLines()).toHaveLength(RECENT_LOG_LINES);
    expect(trace.keptLines()).toBeNull();
  });

  it("a replay's kept lines are bounded: the first and the last, and how many were left out", () => {
    const trace = new Trace({ keepLines: true });
    const total = KEPT_HEAD_LINES + KEPT_TAIL_LINES + 5;
    for (let i = 0; i < total; i++) trace.record(i, "n1", "op", `${i}`);
    const kept = trace.keptLines() ?? [];
    expect(kept).toHaveLength(KEPT_HEAD_LINES + 1 + KEPT_TAIL_LINES);
    expect(kept[0]).toBe("0.000ms n1 op 0");
    expect(kept[KEPT_HEAD_LINES]).toBe("... 5 lines left out (the run's first and last lines are kept) ...");
    expect(kept.at(-1)).toBe(`${total - 1}.000ms n1 op ${total - 1}`);
  });

  it("the hash covers every line, kept or not", () => {
    const a = new Trace();
    const b = new Trace({ keepLines: true });
    for (const trace of [a, b]) {
      trace.record(1, "n1", "op", "x");
      trace.recordLog('{"msg":"y"}');
    }
    expect(a.digest()).toBe(b.digest());
    const c = new Trace();
    c.record(1, "n1", "op", "x");
    expect(c.digest()).not.toBe(a.digest());
  });
});
