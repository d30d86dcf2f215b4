/**
 * `lab status` from saved results: what counts, what is stale, what is not started. Each test
 * builds a learner folder and a results folder of its own in a temporary directory, so it never
 * reads or writes the learner's real files or grades.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { plural } from "../words.ts";
import { findLab, type LabEntry } from "./labs.ts";
import { filesOfPart, hashesOf, hashFilesV1, readSaved, type SavedPart, saveResult } from "./results.ts";
import { labPassed, labStatus, statusLines } from "./status.ts";

let dir = "";
let resultsDir = "";

beforeEach(() => {
  const root = mkdtempSync(path.join(os.tmpdir(), "lab-status-"));
  dir = path.join(root, "src");
  resultsDir = path.join(root, "results");
});

afterEach(() => {
  rmSync(path.dirname(dir), { recursive: true, force: true });
});

/** Writes learner files: each holds a line per stub tag it still throws, and the imports given. */
function write(files: Record<string, { tags?: string[]; imports?: string[]; body?: string }>): void {
  mkdirSync(dir, { recursive: true });
  for (const [file, { tags = [], imports = [], body = "" }] of Object.entries(files)) {
    const lines = [
      ...imports.map((target) => `import { x } from "${target}";`),
      ...tags.map((tag) => `  throw new NotImplemented("${tag}");`),
      body,
    ];
    writeFileSync(path.join(dir, file), `${lines.join("\n")}\n`);
  }
}

/** The stubs of labs 00 to 02 as shipped: which part tags each file throws (log.ts has none). */
const SHIPPED_TAGS: Record<string, Record<string, string[]>> = {
  "00": { "register.ts": ["L0.A"] },
  "01": {
    "record.ts": ["L1.A"],
    "commit-log.ts": ["L1.B", "L1.D", "L1.E", "L1.F"],
    "consume-queue.ts": ["L1.C"],
    "flush.ts": ["L1.D"],
    "recovery.ts": ["L1.E"],
    "log.ts": [],
  },
  "02": {
    "routing.ts": ["L2.A"],
    "producer.ts": ["L2.B"],
    "queue-worker.ts": ["L2.C"],
    "consumer.ts": ["L2.D"],
    "key-parallel.ts": ["L2.F"],
  },
};

function pass(lab: LabEntry, partId: string, seeds: { first: number; count: number }, gradedAt: string): SavedPart {
  return {
    passed: true,
    firstSeed: seeds.first,
    seedsRun: seeds.count,
    gradedAt,
    fileHashes: hashesOf(dir, filesOfPart(lab, partId, dir)),
  };
}

function partLine(lines: string[], partId: string): string {
  return lines.find((line) => line.includes(` ${partId} `)) ?? "";
}

describe("lab status", () => {
  it("the shipped stubs read as 'not started' on every part of every lab, the same way", async () => {
    for (const [labId, files] of Object.entries(SHIPPED_TAGS)) {
      rmSync(dir, { recursive: true, force: true });
      const lab = await findLab(labId);
      write(Object.fromEntries(Object.entries(files).map(([file, tags]) => [file, { tags }])));
      const lines = statusLines(labStatus(lab, dir, null));
      expect(lines[0]).toMatch(new RegExp(`^${labId} {2}.*: 0/100 points \\(never graded\\)$`));
      for (const part of lab.manifest.parts) expect(partLine(lines, part.id), part.id).toContain("not started");
    }
  });

  it("a part whose stub is filled in, but never graded, is 'not graded yet'; later parts' stubs don't matter", async () => {
    const lab = await findLab("01");
    write(Object.fromEntries(Object.entries(SHIPPED_TAGS["01"] ?? {}).map(([f, tags]) => [f, { tags }])));
    write({ "record.ts": {}, "commit-log.ts": { tags: ["L1.D", "L1.E", "L1.F"] } });
    const lines = statusLines(labStatus(lab, dir, null));
    expect(partLine(lines, "L1.A")).toContain("not graded yet");
    expect(partLine(lines, "L1.B")).toContain("not graded yet");
    expect(partLine(lines, "L1.C")).toContain("not started (its stub still throws NotImplemented)");
    expect(partLine(lines, "L1.G")).toContain("not started (it runs L1.C, whose stub still throws NotImplemented)");
  });

  it("a pass on fewer seeds than the default says what it was and earns nothing", async () => {
    const lab = await findLab("00");
    write({ "register.ts": { body: "// done" } });
    const saved = new Map([["L0.B", pass(lab, "L0.B", { first: 8, count: 1 }, "2026-12-01T10:00:00.000Z")]]);
    const status = labStatus(lab, dir, saveResult(lab, saved, resultsDir));
    const lines = statusLines(status);
    expect(status.earnedPoints).toBe(0);
    expect(lines[0]).toContain("0/100 points");
    expect(partLine(lines, "L0.B")).toContain("passed 1 seed (seed 8); run `npx lab grade 00 --part L0.B` to count it");
    write({ "register.ts": { body: "// changed" } });
    expect(partLine(statusLines(labStatus(lab, dir, readSaved(lab, resultsDir))), "L0.B")).toMatch(
      /passed 1 seed \(seed 8\), from before your change to register\.ts; `npx lab grade 00 --part L0\.B` refreshes it$/,
    );
  });

  it("a pass at default depth or deeper earns the part's points", async () => {
    const lab = await findLab("00");
    write({ "register.ts": { body: "// done" } });
    const saved = new Map([
      ["L0.A", pass(lab, "L0.A", { first: 1, count: 100 }, "2026-12-01T10:00:00.000Z")],
      ["L0.B", pass(lab, "L0.B", { first: 1, count: 2000 }, "2026-12-01T10:00:00.000Z")],
    ]);
    const status = labStatus(lab, dir, saveResult(lab, saved, resultsDir));
    expect(status.earnedPoints).toBe(30);
    expect(partLine(statusLines(status), "L0.B")).toMatch(/✓ L0\.B .* passed \(2000 seeds\)$/);
  });

  it("a shallow pass never replaces a full pass of the same files; a failure does", async () => {
    const lab = await findLab("00");
    write({ "register.ts": { body: "// done" } });
    saveResult(
      lab,
      new Map([["L0.B", pass(lab, "L0.B", { first: 1, count: 300 }, "2026-12-01T10:00:00Z")]]),
      resultsDir,
    );
    saveResult(lab, new Map([["L0.B", pass(lab, "L0.B", { first: 5, count: 1 }, "2026-12-02T10:00:00Z")]]), resultsDir);
    expect(readSaved(lab, resultsDir)?.parts["L0.B"]?.seedsRun).toBe(300);
    const failed: SavedPart = {
      ...pass(lab, "L0.B", { first: 5, count: 1 }, "2026-12-03T10:00:00Z"),
      passed: false,
      failedSeed: 5,
      verdict: "anomaly",
      message: "invariant broken: lost write",
    };
    saveResult(lab, new Map([["L0.B", failed]]), resultsDir);
    const lines = statusLines(labStatus(lab, dir, readSaved(lab, resultsDir)));
    expect(partLine(lines, "L0.B")).toContain("failing: seed 5, invariant broken: lost write");
  });

  it("after a change, a part keeps its last result, marked stale with the command that refreshes it", async () => {
    const lab = await findLab("00");
    write({ "register.ts": { body: "// done" } });
    const saved = saveResult(
      lab,
      new Map(
        lab.manifest.parts.map((p) => [p.id, pass(lab, p.id, { first: 1, count: p.seeds }, "2026-12-01T10:00:00Z")]),
      ),
      resultsDir,
    );
    expect(labPassed(labStatus(lab, dir, saved))).toBe(true);
    write({ "register.ts": { body: "// done, and a comment" } });
    const status = labStatus(lab, dir, saved);
    const lines = statusLines(status);
    expect(labPassed(status)).toBe(false);
    expect(status.earnedPoints).toBe(0);
    expect(status.stalePoints).toBe(100);
    expect(lines[0]).toContain(
      "0/100 points, and 100 more from before your last change (`npx lab grade 00` refreshes them)",
    );
    expect(partLine(lines, "L0.C")).toMatch(
      /~ L0\.C .* passed \(500 seeds\), from before your change to register\.ts; `npx lab grade 00 --part L0\.C` refreshes it$/,
    );
  });

  it("a change to a file a part does not run leaves its result fresh (lab 02: consumer.ts and routing)", async () => {
    const lab = await findLab("02");
    write({
      "routing.ts": {},
      "producer.ts": { imports: ["./routing.ts"] },
      "queue-worker.ts": {},
      "consumer.ts": {},
      "key-parallel.ts": { imports: ["#labs/02-ordered-messages/src/queue-worker.ts"] },
    });
    const saved = saveResult(
      lab,
      new Map(
        lab.manifest.parts.map((p) => [p.id, pass(lab, p.id, { first: 1, count: p.seeds }, "2026-12-01T10:00:00Z")]),
      ),
      resultsDir,
    );
    write({ "consumer.ts": { body: "// a comment" } });
    const afterConsumer = labStatus(lab, dir, saved);
    const stale = (status: typeof afterConsumer) =>
      status.parts.filter(({ view }) => view.kind === "graded" && view.changed.length > 0).map(({ part }) => part.id);
    expect(stale(afterConsumer)).toEqual(["L2.D", "L2.E"]);
    expect(afterConsumer.earnedPoints).toBe(60);
    expect(afterConsumer.stalePoints).toBe(40);
    // key-parallel.ts imports queue-worker.ts (through the alias): a change there reaches L2.F too.
    write({ "queue-worker.ts": { body: "// a comment" } });
    expect(stale(labStatus(lab, dir, saved))).toEqual(["L2.C", "L2.D", "L2.E", "L2.F"]);
  });

  it("reads results saved before per-part hashes (version 1) and marks them stale after any change", async () => {
    const lab = await findLab("00");
    write({ "register.ts": { body: "// done" } });
    mkdirSync(resultsDir, { recursive: true });
    const v1 = {
      gradedAt: "2026-11-30T09:00:00.000Z",
      filesHash: hashFilesV1(dir, lab.manifest.files),
      parts: { "L0.A": { id: "L0.A", passed: true, seedsRun: 100 } },
    };
    writeFileSync(path.join(resultsDir, `${lab.slug}.json`), JSON.stringify(v1));
    expect(labStatus(lab, dir, readSaved(lab, resultsDir)).earnedPoints).toBe(10);
    write({ "register.ts": { body: "// changed" } });
    expect(labStatus(lab, dir, readSaved(lab, resultsDir)).stalePoints).toBe(10);
  });

  it("every lab's partFiles names its own parts and files", async () => {
    for (const labId of Object.keys(SHIPPED_TAGS)) {
      const { manifest } = await findLab(labId);
      for (const [partId, files] of Object.entries(manifest.partFiles ?? {})) {
        expect(manifest.parts.map((p) => p.id)).toContain(partId);
        for (const file of files) expect(manifest.files).toContain(file);
      }
    }
  });
});

describe("plural", () => {
  it("says 1 seed and 2 seeds", () => {
    expect(plural(1, "seed")).toBe("1 seed");
    expect(plural(2, "fault event")).toBe("2 fault events");
    expect(plural(0, "entry", "entries")).toBe("0 entries");
  });
});
