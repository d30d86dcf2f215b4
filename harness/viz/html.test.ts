/**
 * `lab replay --html`: the page draws what the grader saw, says the verdict in the report's words,
 * marks the operations the verdict is about, and stays small and offline.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { gradeInProcess } from "../grade/in-process.ts";
import { guardRootsFor, type ImplChoice, loadImpl } from "../grade/labs.ts";
import { pictureOf, type RunPicture } from "../grade/picture.ts";
import { replayScenario } from "../grade/runner.ts";
import { details, headline } from "../grade/verdict.ts";
import type { TraceEntry } from "../sim/trace.ts";
import { DRAWN_MAX, renderHtml } from "./html.ts";

const ONE_COUNTER = path.join(import.meta.dirname, "..", "grade", "fixtures", "stops", "one-counter");

const TEXT = { title: "t", verdict: ["v"], scenario: [], replayCommand: "npx lab replay 00 --part L0.A --seed 1" };

function count(html: string, pattern: RegExp): number {
  return [...html.matchAll(pattern)].length;
}

describe("lab replay --html", () => {
  it("draws a real failure: the verdict in the report's words, the pending send flagged, the broker's answers as arrows, the learner's logs", async () => {
    const { lab, outcomes } = await gradeInProcess("02", ONE_COUNTER, { parts: ["L2.B"], shrink: true });
    const failure = outcomes.get("L2.B")?.failure;
    if (failure === null || failure === undefined) throw new Error("the one-counter producer passed L2.B");
    const choice: ImplChoice = { kind: "other", dir: ONE_COUNTER, label: "one-counter", flag: "" };
    const impl = await loadImpl(lab, choice);
    const part = lab.manifest.parts.find((p) => p.id === "L2.B");
    if (part === undefined) throw new Error("no L2.B");
    const { run } = await replayScenario(part, impl, failure.seed, failure.path, {
      guardRoots: guardRootsFor(choice),
      implDir: ONE_COUNTER,
      keepTrace: true,
      logLevel: "trace",
    });
    const kept = run.world.trace.keptEntries();
    if (kept === null) throw new Error("the replay kept no trace");
    const picture = pictureOf(run.history, kept, run.verdict, run.simMs);
    const verdict = [headline(run.verdict), ...details(run.verdict)];
    const html = renderHtml(picture, { ...TEXT, verdict });

    expect(html).toContain("invariant broken: not live");
    expect(html).toContain("outOfOrder"); // in the verdict's busiest list and the arrows' titles
    // The send that never completed is the flagged operation, drawn and listed.
    const flagged = picture.ops.filter((op) => op.flagged);
    expect(flagged.map((op) => op.status)).toEqual(["pending"]);
    expect(html).toContain(`<g class="op pending flagged" id="op${flagged[0]?.index}"`);
    expect(html).toContain(`<a href="#op${flagged[0]?.index}">`);
    // Requests and replies between p1 and the broker, as arrows with arrowheads.
    expect(count(html, /<g class="msg" /g)).toBeGreaterThan(100);
    expect(html).toMatch(/<title>[\d.]+ms → [\d.]+ms p1 net reply #\d+ from broker: outOfOrder<\/title>/);
    // The learner's own log lines, for the click panel.
    expect(html).toMatch(/const LOGS=\[\[[\d.]+,".*send out of order/);
    // Offline: nothing is fetched (the SVG namespace is a name, not a fetch).
    expect(html.replaceAll("http://www.w3.org/2000/svg", "")).not.toMatch(/https?:\/\//);
    expect(html.length).toBeLessThan(2 * 1024 * 1024);
  });

  it("bands for a crash and a pause, a cross for a lost message, a fold for a quiet stretch", () => {
    const entries: TraceEntry[] = [
      { atMs: 1, node: "n1", kind: "node", detail: "start (incarnation 1)" },
      { atMs: 2, node: "n1", kind: "disk", detail: "fsync register.tmp" },
      { atMs: 3, node: "n1", kind: "node", detail: "crash (incarnation 1 is dead)" },
      { atMs: 8, node: "n1", kind: "node", detail: "start (incarnation 2)" },
      { atMs: 9, node: "n2", kind: "node", detail: "pause" },
      { atMs: 60, node: "n2", kind: "node", detail: "resume" },
      {
        atMs: 61,
        node: "n1",
        kind: "net",
        detail: "message to n2 dropped: lost",
        link: { from: "n1", to: "n2", sentAtMs: 61, fate: "lost" },
      },
    ];
    const picture: RunPicture = { entries, omittedEntries: 0, ops: [], faults: [], simMs: 70 };
    const html = renderHtml(picture, TEXT);
    expect(html).toContain('class="band down"');
    expect(html).toContain("crash (incarnation 1 is dead), then start (incarnation 2)");
    expect(html).toContain('class="band paused"');
    expect(html).toContain('<g class="msg dropped"');
    expect(html).toContain('class="cross"');
    expect(html).toContain('<g class="disk sync"');
    expect(html).toContain('<text class="tag disk" x="');
    expect(html).toMatch(/<text class="fold"[^>]*>⋯ 51 ms<\/text>/);
  });

  it("a very long run draws what is nearest the flagged operation and says what it left out", () => {
    const entries: TraceEntry[] = Array.from({ length: 10_000 }, (_, i) => ({
      atMs: i,
      node: "b",
      kind: "net",
      detail: `message from a: m${i}`,
      link: { from: "a", to: "b", sentAtMs: i - 0.5, fate: "delivered" as const },
    }));
    const flaggedOp = {
      index: 0,
      client: "a",
      call: "send(m9000)",
      outcome: "send(m9000) (never completed)",
      status: "pending" as const,
      invokedAtMs: 9_000,
      flagged: true,
    };
    const picture: RunPicture = { entries, omittedEntries: 0, ops: [flaggedOp], faults: [], simMs: 10_000 };
    const html = renderHtml(picture, TEXT);
    expect(count(html, /<g class="msg" /g)).toBe(DRAWN_MAX.messages);
    expect(html).toContain("10,000 messages in this run: the 2,500 nearest the flagged operations are drawn.");
    expect(html).toContain("m9000<");
    expect(html).not.toContain("m10<");
  });
});
