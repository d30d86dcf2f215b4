/**
 * Verdicts: what one run of one seed earned, and how it is said in plain words.
 *
 * Every way learner code can go wrong has its own verdict, so the grader never hangs and never dies
 * with a raw stack: an untouched stub, an exception, a call to the real clock, a run that differs
 * from itself, a broken guarantee, and the three ways a run stops without finishing (see
 * stopped-run.ts for the evidence each keeps):
 *   deadlock  nothing is left to happen, and calls are still pending;
 *   livelock  events keep coming (simulated time may or may not move), but the run never finishes
 *             within its budget;
 *   noYield   the event loop is blocked: simulated time stands still (a synchronous loop), and
 *             only the worker's watchdog can stop it.
 */
import type { Anomaly } from "../checkers/anomaly.ts";
import { callThatRaised } from "../errors.ts";
import { DeterminismViolation, NotImplemented } from "../lab-api.ts";
import type { BudgetSpent } from "../sim/scheduler.ts";
import { formatMs } from "../sim/trace.ts";
import type { LabError } from "../sim/world.ts";
import { plural } from "../words.ts";
import { learnerFrames, unawaitedPromise } from "./stack.ts";
import {
  type Busiest,
  busiestLines,
  type KeptTrace,
  keptLines,
  type Pending,
  pendingLines,
  type Unfinished,
  unfinishedLines,
} from "./stopped-run.ts";

// Lab workloads import these from here; they live on the floor below (harness/errors.ts).
export { isProgrammingError, rethrowFrom } from "../errors.ts";

export type Verdict =
  | { kind: "pass" }
  | { kind: "notImplemented"; part: string }
  | {
      kind: "anomaly";
      anomalies: Anomaly[];
      /**
       * For a liveness failure ("not live": the workload gave up waiting), the same evidence a
       * stopped run keeps: the calls still pending, what the run did most lately, the learner's
       * last log lines. A workload that waits with a deadline ends a livelock this way.
       */
      unfinished?: Unfinished;
    }
  | { kind: "exception"; where: string; message: string; frames: string[] }
  | { kind: "determinism"; call: string; instead: string; frames: string[] }
  | { kind: "deadlock"; atMs: number; pending: Pending; kept: KeptTrace }
  | {
      kind: "livelock";
      atMs: number;
      events: number;
      spent: BudgetSpent;
      /** The budget that was spent: simulated ms, events, or events at one instant. */
      limit: number;
      pending: Pending;
      busiest: Busiest;
      kept: KeptTrace;
    }
  | { kind: "noYield"; seconds: number; atMs: number | null; kept: KeptTrace }
  | { kind: "nondeterministic"; digests: [string, string] };

/** The headline of a verdict: one line. */
export function headline(verdict: Verdict): string {
  switch (verdict.kind) {
    case "pass":
      return "passed";
    case "notImplemented":
      return `${verdict.part} is not implemented yet (the stub still throws NotImplemented)`;
    case "anomaly": {
      const names = [...new Set(verdict.anomalies.map((a) => a.name))];
      return `invariant broken: ${names.join(", ")}`;
    }
    case "exception":
      return `your code threw in ${verdict.where}: ${verdict.message}`;
    case "determinism":
      return `your code called ${verdict.call}, which makes runs unrepeatable; use ${verdict.instead}`;
    case "deadlock":
      return `deadlock at simulated time ${formatMs(verdict.atMs)}: nothing is left to happen, and ${unfinished(verdict.pending, "settled")}`;
    case "livelock":
      return livelockHeadline(verdict);
    case "noYield":
      return `a loop never yielded: the event loop was blocked for ${verdict.seconds} s of real time${
        verdict.atMs === null ? "" : `, with simulated time standing still at ${formatMs(verdict.atMs)}`
      }`;
    case "nondeterministic":
      return "the same seed gave two different runs (state kept on globalThis, real time or randomness the guard did not see, or an iteration order that changes?)";
  }
}

/** The lines under the headline: details a learner can act on. */
export function details(verdict: Verdict): string[] {
  switch (verdict.kind) {
    case "anomaly":
      return [
        ...verdict.anomalies.flatMap((a) => [`${a.name}: ${a.explanation}`]),
        ...(verdict.unfinished === undefined ? [] : unfinishedLines(verdict.unfinished)),
      ];
    case "exception":
    case "determinism":
      return verdict.frames.length > 0 ? verdict.frames.map((f) => `at ${f}`) : [];
    case "deadlock":
      return [
        ...pendingLines(verdict.pending, "never settled"),
        ...keptLines(verdict.kept, "the last things that happened"),
        "a promise that is never resolved, or an await on something that will never happen?",
      ];
    case "livelock":
      return [
        ...pendingLines(verdict.pending, "pending longest"),
        ...busiestLines(verdict.busiest),
        ...keptLines(verdict.kept, "the last things that happened"),
        verdict.spent === "eventsAtOneInstant"
          ? "a loop that awaits sleep(0) or a resolved promise forever lets no simulated time pass"
          : "a retry that can never succeed, or a loop waiting for something that never comes? your log lines may say which",
      ];
    case "noYield":
      return [
        ...keptLines(verdict.kept, "the last things that happened before the loop"),
        "a synchronous loop (while/for) that never ends? nothing else can block the event loop; the watchdog stopped it",
      ];
    case "nondeterministic":
      return [
        `trace hashes ${verdict.digests[0]} and ${verdict.digests[1]}`,
        "state kept in module-level variables survives from one run to the next; keep all state in the object your factory returns",
      ];
    default:
      return [];
  }
}

/** "3 calls never settled", or, with none pending, that the workload itself never finished. */
function unfinished(pending: Pending, verb: string): string {
  if (pending.count === 0) return "the workload never finished (no call was pending)";
  return `${plural(pending.count, "call")} never ${verb}`;
}

function livelockHeadline(verdict: Extract<Verdict, { kind: "livelock" }>): string {
  const at = `livelock at simulated time ${formatMs(verdict.atMs)}`;
  switch (verdict.spent) {
    case "eventsAtOneInstant":
      return `${at}: ${count(verdict.limit)} events ran without simulated time moving`;
    case "events":
      return `${at}: events kept coming (${count(verdict.limit)}, the run's budget), but ${unfinished(verdict.pending, "completed")}`;
    case "simTime":
      return `${at}: simulated time kept moving (${count(verdict.limit / 1000)} s, the run's budget), but ${unfinished(verdict.pending, "completed")}`;
  }
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Turns an error that no caller could catch (see World's `labErrors`) into a verdict. */
export function verdictOfLabError(labError: LabError, codeRoots: readonly string[]): Verdict {
  const where = labError.unawaited ? unawaitedPromise(labError.error, codeRoots) : labError.where;
  return verdictOfError(labError.error, where, codeRoots);
}

/** Turns an error raised by lab code into a verdict. */
export function verdictOfError(error: unknown, fallbackWhere: string, codeRoots: readonly string[]): Verdict {
  const where = callThatRaised(error) ?? fallbackWhere;
  if (error instanceof NotImplemented || (error instanceof Error && error.name === "NotImplemented")) {
    return { kind: "notImplemented", part: (error as NotImplemented).part ?? "this part" };
  }
  if (error instanceof DeterminismViolation) {
    return { kind: "determinism", call: error.call, instead: error.instead, frames: learnerFrames(error, codeRoots) };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : `a thrown value: ${String(error)}`;
  return { kind: "exception", where, message, frames: learnerFrames(error, codeRoots) };
}
