/**
 * The offset checker holds each accepted commit to the offset that was safe when it was sent,
 * judges each tracker alone, and names the commit and the handler calls involved.
 */
import { describe, expect, it } from "vitest";
import type { Op } from "#harness/workloads/history.ts";
import { checkOffsets, type HandleCall, type OffsetEvent, redeliveriesAfterCrashes } from "./check-offsets.ts";

/** A script of one tracker's life on c1 (incarnation 1, queue 2), one event a millisecond. */
function script(steps: readonly string[], place = { consumer: "c1", incarnation: 1, queueId: 2 }): OffsetEvent[] {
  return steps.map((step, i): OffsetEvent => {
    const [kind, a = "0", b = ""] = step.split(" ");
    const at = { ...place, atMs: i + 1 };
    if (kind === "open") return { ...at, kind: "opened", startOffset: Number(a) };
    if (kind === "recv") return { ...at, kind: "received", offsets: range(Number(a), Number(b || a)) };
    if (kind === "fin") return { ...at, kind: "finished", offset: Number(a) };
    return {
      ...at,
      kind: "commit",
      offset: Number(a),
      reply: b === "" ? "ok" : b === "null" ? null : b,
      op: op(i, "commit"),
    };
  });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function op(index: number, f: string): Op {
  return { index, client: "c1", f, input: {}, invokedAtMs: index, status: "ok" };
}

const handles: HandleCall[] = range(0, 20).map((offset) => ({
  consumer: "c1",
  queueId: 2,
  queueOffset: offset,
  op: { ...op(100 + offset, "handle"), invokedAtMs: 0 },
}));

describe("lab 04's offset checker", () => {
  it("passes commits of the lowest in flight, one past the highest received, or the start offset", () => {
    const events = script([
      "open 10",
      "commit 10",
      "recv 10 14",
      "fin 12",
      "fin 14",
      "commit 10",
      "fin 10",
      "commit 11",
      "fin 11",
      "commit 13",
      "fin 13",
      "commit 15",
      "recv 15",
      "commit 15",
    ]);
    expect(checkOffsets({ events, handles })).toEqual([]);
  });

  it("committed past unfinished: names the commit, the message still in flight and its handler call", () => {
    const events = script(["open 10", "recv 10 14", "fin 11", "fin 12", "commit 13", "fin 10", "commit 13"]);
    const found = checkOffsets({ events, handles });
    expect(found.map((a) => a.name)).toEqual(["committed past unfinished"]);
    const [first] = found;
    expect(first?.explanation).toContain("c1 committed orders/2 at 13 (sent at 5.000ms, accepted)");
    expect(first?.explanation).toContain("while offset 10 was still being handled there");
    expect(first?.explanation).toContain("it finished only at 6.000ms");
    expect(first?.explanation).toContain("never handled offset 10");
    expect(first?.ops.map((o) => o.index)).toEqual([4, 110]);
  });

  it("committed past unfinished: a commit beyond what was received skips messages nobody handled", () => {
    const events = script(["open 10", "recv 10 11", "fin 10", "fin 11", "commit 14"]);
    const found = checkOffsets({ events, handles });
    expect(found.map((a) => a.name)).toEqual(["committed past unfinished"]);
    expect(found[0]?.explanation).toContain("received messages only up to offset 11, none in flight");
  });

  it("offset held back: a commit below the lowest in flight, after the ones above it finished", () => {
    const events = script(["open 7", "recv 7 13", ...range(7, 12).map((o) => `fin ${o}`), "commit 7"]);
    const found = checkOffsets({ events, handles });
    expect(found.map((a) => a.name)).toEqual(["offset held back"]);
    expect(found[0]?.explanation).toContain("though offsets 7 to 12 had finished by 8.000ms");
    expect(found[0]?.explanation).toContain("offset 13 was the lowest in flight, so 13 was safe to commit");
    expect(found[0]?.explanation).toContain("redeliver 6 messages already handled");
    expect(found[0]?.ops.map((o) => o.index)).toEqual([8, 107, 112]);
  });

  it("offset held back: a commit below where the queue was taken, or the start again once all finished", () => {
    const rewound = checkOffsets({ events: script(["open 7", "commit 0"]), handles });
    expect(rewound.map((a) => a.name)).toEqual(["offset held back"]);
    expect(rewound[0]?.explanation).toContain("below the offset 7 it took the queue at");
    const idle = checkOffsets({
      events: script(["open 7", "recv 7 9", "fin 8", "fin 9", "fin 7", "commit 7"]),
      handles,
    });
    expect(idle.map((a) => a.name)).toEqual(["offset held back"]);
    expect(idle[0]?.explanation).toContain("none was in flight, so 10 was safe to commit");
  });

  it("is exact: one past the lowest in flight, or one below it, is already wrong", () => {
    const byOne = (offset: number) =>
      checkOffsets({ events: script(["open 10", "recv 10 12", "fin 11", `commit ${offset}`]), handles }).map(
        (a) => a.name,
      );
    expect(byOne(11)).toEqual(["committed past unfinished"]);
    expect(byOne(10)).toEqual([]);
    const done = (offset: number) =>
      checkOffsets({ events: script(["open 10", "recv 10 12", "fin 10", "fin 11", `commit ${offset}`]), handles }).map(
        (a) => a.name,
      );
    expect(done(11)).toEqual(["offset held back"]);
    expect(done(12)).toEqual([]);
  });

  it("grades only commits the broker accepted", () => {
    const events = script(["open 10", "recv 10 14", "commit 15 fenced", "commit 3 maybe", "commit 12 null"]);
    expect(checkOffsets({ events, handles })).toEqual([]);
  });

  it("judges each tracker alone: a new owner, a restart, a queue taken again", () => {
    const events = [
      ...script(["open 0", "recv 0 5", "fin 5", "commit 0"]),
      // c2 took the queue at 0 and finished 0 to 3: 4 is safe for it, not for c1.
      ...script(["open 0", "recv 0 3", "fin 0", "fin 1", "fin 2", "fin 3", "commit 4"], {
        consumer: "c2",
        incarnation: 1,
        queueId: 2,
      }),
      // c1 restarted and took it again at 4; then its old tracker's offsets mean nothing.
      ...script(["open 4", "recv 4 5", "commit 4"], { consumer: "c1", incarnation: 2, queueId: 2 }),
      ...script(["open 6", "commit 6"], { consumer: "c1", incarnation: 2, queueId: 2 }),
    ];
    expect(checkOffsets({ events, handles })).toEqual([]);
    const wrong = [...events, ...script(["commit 5"], { consumer: "c1", incarnation: 1, queueId: 2 })];
    expect(checkOffsets({ events: wrong, handles }).map((a) => a.name)).toEqual(["committed past unfinished"]);
  });

  it("reports one anomaly per tracker, at most three of a name, and counts the commits", () => {
    const holds = range(1, 5).flatMap((incarnation) =>
      script(["open 0", "recv 0 2", "fin 1", "commit 2", "commit 2"], { consumer: "c1", incarnation, queueId: 2 }),
    );
    const found = checkOffsets({ events: holds, handles });
    expect(found.map((a) => a.name)).toEqual(Array(3).fill("committed past unfinished"));
    expect(found[0]?.explanation).toContain("c1 sent 2 such commits while it held the queue");
    expect(found[2]?.explanation).toContain("The same happened on 2 more queue holds");
  });

  it("measures the backlog: finished messages a crash made the next holder handle again", () => {
    const events = [
      ...script(["open 0", "recv 0 5", "fin 0", "commit 1", "fin 1", "fin 2", "fin 4"]),
      // c1's last accepted commit was 1 (say): c2 takes the queue there.
      ...script(["open 1", "recv 1 5"], { consumer: "c2", incarnation: 1, queueId: 2 }),
      // c1's restart: its first hold ended in a crash; c2's ended when c1 took the queue back.
      ...script(["open 6"], { consumer: "c1", incarnation: 2, queueId: 2 }),
    ];
    expect(redeliveriesAfterCrashes(events)).toEqual([{ consumer: "c1", queueId: 2, needless: 3, needed: 2 }]);
  });
});
