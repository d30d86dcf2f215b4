/**
 * The grading pool and its workers: a run that keeps going, however long it takes in real time,
 * keeps its worker alive with heartbeats, so only a blocked event loop trips the watchdog; and a
 * worker's flight recorder keeps the last lines of its trace for after the watchdog stopped it.
 */
import path from "node:path";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { createFlightRecorderBuffer, FlightRecorder } from "./flight-recorder.ts";
import { chooseImpl, findLab } from "./labs.ts";
import { GradingPool } from "./pool.ts";
import type { ToMain, WorkerData } from "./protocol.ts";

/** A lab 00 register whose save() retries forever: each run is a livelock that spends its budget. */
const RETRY_FOREVER = path.join(import.meta.dirname, "fixtures", "hazards", "retry-forever");

describe("grading workers", () => {
  it("send heartbeats during a long run, before its result", async () => {
    const lab = await findLab("00");
    const workerData: WorkerData = {
      slug: lab.slug,
      choice: chooseImpl(lab, { impl: RETRY_FOREVER }),
      recorder: createFlightRecorderBuffer(),
      beatMs: 5,
    };
    const worker = new Worker(new URL("./worker-entry.mjs", import.meta.url), { workerData });
    const seen: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        worker.on("error", reject);
        worker.on("message", (message: ToMain) => {
          seen.push(message.type);
          if (message.type === "ready")
            worker.postMessage({ type: "grade", jobId: 1, partId: "L0.A", seeds: [1], shrink: false });
          if (message.type === "graded" || message.type === "loadFailed" || message.type === "crashed") resolve();
        });
      });
    } finally {
      await worker.terminate();
    }
    expect(seen.at(-1)).toBe("graded");
    // Seed 1 is a livelock: one run (a failure is neither shrunk here nor run twice) that spends its
    // whole budget. Heartbeats come while it runs: more beats than the one that ends the run.
    const beats = seen.filter((type) => type === "beat").length;
    expect(beats).toBeGreaterThan(1);
  });

  it("a livelock that takes longer than the watchdog's limit in real time is a livelock, not a blocked loop", async () => {
    const lab = await findLab("00");
    const pool = new GradingPool(lab, chooseImpl(lab, { impl: RETRY_FOREVER }), { workers: 1, watchdogMs: 1_000 });
    try {
      const outcome = await pool.grade("L0.A", [1], false);
      expect(outcome.failure?.verdict.kind).toBe("livelock");
    } finally {
      await pool.close();
    }
  });
});

describe("the flight recorder", () => {
  it("keeps the last whole lines, oldest first, across the ring's wrap", () => {
    const recorder = new FlightRecorder(createFlightRecorderBuffer(100));
    recorder.reset();
    expect(recorder.lines()).toEqual([]);
    for (let i = 1; i <= 30; i++) recorder.write(`line ${i} é`);
    const lines = recorder.lines();
    expect(lines.at(-1)).toBe("line 30 é");
    expect(lines.length).toBeGreaterThan(5);
    // Consecutive, whole, and nothing older than what fits in 100 bytes.
    const numbers = lines.map((line) => Number(/^line (\d+) é$/.exec(line)?.[1]));
    expect(numbers).toEqual(numbers.map((_, i) => 31 - numbers.length + i));
    expect(lines.join("\n").length).toBeLessThanOrEqual(100);
    recorder.reset();
    recorder.write("after reset");
    expect(recorder.lines()).toEqual(["after reset"]);
  });
});
