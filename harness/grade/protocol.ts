/** Messages between the grading pool (main thread) and its workers. */
import type { PartOutcome } from "./grade-part.ts";
import type { ImplChoice } from "./labs.ts";
import type { RunPicture } from "./picture.ts";
import type { Verdict } from "./verdict.ts";

/** What a worker is started with. */
export interface WorkerData {
  slug: string;
  choice: ImplChoice;
  /** The flight recorder's memory (flight-recorder.ts), shared with the pool. */
  recorder: SharedArrayBuffer;
  /** Real milliseconds between heartbeats during a run: a fraction of the watchdog's limit. */
  beatMs: number;
}

export type ToWorker =
  | { type: "grade"; jobId: number; partId: string; seeds: number[]; shrink: boolean }
  /** `picture`: also send the run as data for a space-time diagram (`lab replay --html`). */
  | { type: "replay"; jobId: number; partId: string; seed: number; path: string; picture: boolean };

export type ToMain =
  | { type: "ready" }
  | { type: "loadFailed"; message: string }
  /** A seed starts: progress, and the watchdog's heartbeat. */
  | { type: "seed"; jobId: number; seed: number }
  /** A run finished (shrinking runs many per seed), or a long run goes on: heartbeat only. */
  | { type: "beat"; jobId: number }
  | { type: "graded"; jobId: number; outcome: PartOutcome }
  | {
      type: "replayed";
      jobId: number;
      verdict: Verdict;
      scenarioLines: string[];
      trace: string[];
      simMs: number;
      events: number;
      picture?: RunPicture;
    }
  /** The harness itself failed on this job (a bug in the grader, not in lab code). */
  | { type: "crashed"; jobId: number; message: string };
