/**
 * The grading pool: worker threads that run learner code, and a watchdog over them.
 *
 * Simulated time cannot stop a synchronous `while (true) {}`: the thread running it never returns
 * to the scheduler. So learner code runs in worker threads, each reporting every seed it starts,
 * every run it finishes, and a heartbeat while a long run goes on (however long a run takes in
 * real time, its event loop turns). A worker silent for `watchdogMs` of real time has its event
 * loop blocked: it is terminated, its part gets a "loop never yielded" verdict with the last lines
 * of its trace (read from its flight recorder, which outlives it), and a fresh worker takes the
 * remaining parts.
 */
import os from "node:os";
import { Worker } from "node:worker_threads";
import { createFlightRecorderBuffer, FlightRecorder } from "./flight-recorder.ts";
import type { PartOutcome } from "./grade-part.ts";
import type { ImplChoice, LabEntry } from "./labs.ts";
import { ImplLoadError } from "./labs.ts";
import type { ToMain, ToWorker, WorkerData } from "./protocol.ts";
import { keepTrace, timeOf } from "./stopped-run.ts";
import type { Verdict } from "./verdict.ts";

export interface PoolOptions {
  workers?: number;
  /** Real milliseconds without a report before a worker is declared stuck. */
  watchdogMs?: number;
  onSeed?: (partId: string, seed: number) => void;
}

type NoYield = Extract<Verdict, { kind: "noYield" }>;

/** What the worker sent for a replay, without its envelope. */
type Replayed = Omit<Extract<ToMain, { type: "replayed" }>, "type" | "jobId">;

export type ReplayResult =
  | ({ kind: "replayed" } & Replayed)
  /** The watchdog stopped the replay: `trace` is what the flight recorder kept, the last lines. */
  | { kind: "noYield"; verdict: NoYield; trace: string[] };

type Job = ToWorker & { resolve: (result: PartOutcome | ReplayResult) => void; reject: (error: Error) => void };

const ENTRY = new URL("./worker-entry.mjs", import.meta.url);
const STARTUP_TIMEOUT_MS = 120_000;
/** A worker's heartbeat during a long run comes at least this often (and 5 times per watchdog period). */
const BEAT_MS_MAX = 250;

export class GradingPool {
  private readonly queue: Job[] = [];
  private readonly active = new Set<ActiveWorker>();
  private readonly size: number;
  private readonly watchdogMs: number;
  private nextJobId = 1;
  private fatal: Error | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly lab: LabEntry,
    private readonly choice: ImplChoice,
    private readonly options: PoolOptions = {},
  ) {
    this.size = Math.max(1, options.workers ?? Math.min(2, os.availableParallelism()));
    this.watchdogMs = options.watchdogMs ?? 5_000;
    this.timer = setInterval(() => this.watch(), 250);
  }

  grade(partId: string, seeds: number[], shrink: boolean): Promise<PartOutcome> {
    return this.enqueue({ type: "grade", jobId: this.nextJobId++, partId, seeds, shrink }) as Promise<PartOutcome>;
  }

  replay(partId: string, seed: number, path: string, picture = false): Promise<ReplayResult> {
    const job = { type: "replay", jobId: this.nextJobId++, partId, seed, path, picture } as const;
    return this.enqueue(job) as Promise<ReplayResult>;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.active].map((w) => w.worker.terminate()));
    this.active.clear();
  }

  private enqueue(message: ToWorker): Promise<PartOutcome | ReplayResult> {
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => {
      this.queue.push({ ...message, resolve, reject } as Job);
      this.pump();
    });
  }

  /** The implementation cannot be loaded: every job fails with the same error. */
  private failAll(error: Error): void {
    this.fatal = error;
    const jobs = [...this.queue.splice(0), ...[...this.active].flatMap((w) => (w.job ? [w.job] : []))];
    for (const w of this.active) w.job = null;
    for (const job of jobs) job.reject(error);
  }

  private pump(): void {
    for (const w of this.active) if (w.ready && w.job === null) this.assign(w);
    while (this.queue.length > 0 && this.active.size < this.size) this.spawn();
  }

  private assign(w: ActiveWorker): void {
    const job = this.queue.shift();
    if (job === undefined) return;
    w.job = job;
    w.lastBeatMs = Date.now();
    w.currentSeed = null;
    w.seedsStarted = 0;
    const { resolve: _resolve, reject: _reject, ...message } = job;
    w.worker.postMessage(message);
  }

  private spawn(): void {
    if (this.fatal) return;
    const recorder = createFlightRecorderBuffer();
    const workerData: WorkerData = {
      slug: this.lab.slug,
      choice: this.choice,
      recorder,
      beatMs: Math.min(BEAT_MS_MAX, this.watchdogMs / 5),
    };
    const worker = new Worker(ENTRY, { workerData });
    const w: ActiveWorker = {
      worker,
      recorder: new FlightRecorder(recorder),
      ready: false,
      job: null,
      lastBeatMs: Date.now(),
      currentSeed: null,
      seedsStarted: 0,
    };
    this.active.add(w);
    worker.on("message", (message: ToMain) => this.onMessage(w, message));
    worker.on("error", (error) =>
      this.finishCrashed(w, error instanceof Error ? (error.stack ?? error.message) : String(error)),
    );
    worker.on("exit", () => {
      if (this.active.delete(w) && w.job !== null) this.finishCrashed(w, "the grading worker exited unexpectedly");
      this.pump();
    });
  }

  private onMessage(w: ActiveWorker, message: ToMain): void {
    w.lastBeatMs = Date.now();
    switch (message.type) {
      case "ready":
        w.ready = true;
        this.assign(w);
        if (w.job === null) void this.retire(w);
        return;
      case "loadFailed":
        this.failAll(new ImplLoadError(message.message, null));
        return;
      case "seed":
        w.currentSeed = message.seed;
        w.seedsStarted++;
        if (w.job) this.options.onSeed?.(w.job.partId, message.seed);
        return;
      case "beat":
        return;
      case "graded":
        this.finish(w, message.outcome);
        return;
      case "replayed": {
        const { type: _t, jobId: _j, ...rest } = message;
        this.finish(w, { kind: "replayed", ...rest });
        return;
      }
      case "crashed":
        this.finishCrashed(w, message.message);
        return;
    }
  }

  private finish(w: ActiveWorker, result: PartOutcome | ReplayResult): void {
    const job = w.job;
    w.job = null;
    job?.resolve(result);
    if (this.queue.length > 0) this.assign(w);
    else void this.retire(w);
  }

  private finishCrashed(w: ActiveWorker, message: string): void {
    const job = w.job;
    if (job === null) {
      if (!w.ready) {
        this.failAll(new ImplLoadError(`the grading worker failed to start: ${message}`, null));
      }
      return;
    }
    w.job = null;
    const verdict: Verdict = {
      kind: "exception",
      where: "the grader itself (please report this)",
      message,
      frames: [],
    };
    job.resolve(this.failedOutcome(job, w, verdict));
    void this.retire(w);
    this.pump();
  }

  private failedOutcome(job: Job, w: ActiveWorker, verdict: Verdict, trace: string[] = []): PartOutcome | ReplayResult {
    if (job.type === "replay") {
      return verdict.kind === "noYield"
        ? { kind: "noYield", verdict, trace }
        : { kind: "replayed", verdict, scenarioLines: [], trace: [], simMs: 0, events: 0 };
    }
    const seed = w.currentSeed ?? job.seeds[0] ?? 1;
    return {
      partId: job.partId,
      seedsRun: Math.max(1, w.seedsStarted),
      failure: {
        seed,
        verdict,
        scenarioLines: [],
        planEvents: { before: 0, after: 0 },
        shrinks: 0,
        path: "0",
        timeline: [],
      },
    };
  }

  private async retire(w: ActiveWorker): Promise<void> {
    if (!this.active.delete(w)) return;
    await w.worker.terminate();
    this.pump();
  }

  /** The verdict on a worker whose event loop stayed blocked, from the trace it recorded. */
  private noYield(trace: readonly string[]): NoYield {
    const times = trace.map(timeOf).filter((t): t is number => t !== null);
    return {
      kind: "noYield",
      seconds: Math.round(this.watchdogMs / 100) / 10,
      atMs: times.at(-1) ?? null,
      kept: keepTrace(trace),
    };
  }

  private watch(): void {
    const now = Date.now();
    for (const w of [...this.active]) {
      const limit = w.job === null ? STARTUP_TIMEOUT_MS : this.watchdogMs;
      if (now - w.lastBeatMs <= limit) continue;
      const job = w.job;
      w.job = null;
      this.active.delete(w);
      void w.worker.terminate();
      if (job === null) {
        this.failAll(
          new ImplLoadError("loading the implementation did not finish (a loop at the top level of a module?)", null),
        );
        continue;
      }
      const trace = w.recorder.lines();
      job.resolve(this.failedOutcome(job, w, this.noYield(trace), trace));
      this.pump();
    }
  }
}

interface ActiveWorker {
  worker: Worker;
  /** The worker's flight recorder: the last lines of its trace, readable after it is terminated. */
  recorder: FlightRecorder;
  ready: boolean;
  job: Job | null;
  lastBeatMs: number;
  currentSeed: number | null;
  seedsStarted: number;
}
