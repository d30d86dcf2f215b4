/**
 * Verdicts: what one run of one seed earned, and how it is said in plain words.
 *
 * Every way learner code can go wrong has its own verdict, so the grader never hangs and never dies
 * with a raw stack: an untouched stub, an exception, a promise that never settles, a loop that never
 * lets simulated time move, a synchronous loop that never returns (the watchdog), a call to the
 * real clock, a run that differs from itself, and of course a broken guarantee.
 */
import path from "node:path";
import type { Anomaly } from "../checkers/anomaly.ts";
import { callThatRaised } from "../errors.ts";
import { DeterminismViolation, NotImplemented } from "../lab-api.ts";
import { formatMs } from "../sim/trace.ts";
import { originalPosition } from "./modules.ts";

// Lab workloads import these from here; they live on the floor below (harness/errors.ts).
export { isProgrammingError, rethrowFrom } from "../errors.ts";

export type Verdict =
  | { kind: "pass" }
  | { kind: "notImplemented"; part: string }
  | { kind: "anomaly"; anomalies: Anomaly[] }
  | { kind: "exception"; where: string; message: string; frames: string[] }
  | { kind: "determinism"; call: string; instead: string; frames: string[] }
  | { kind: "stuck"; atMs: number; waitingOn: string[] }
  | { kind: "livelock"; atMs: number; events: number }
  | { kind: "noYield"; seconds: number }
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
    case "stuck":
      return `stuck at simulated time ${formatMs(verdict.atMs)}: an operation never completed and nothing else was scheduled`;
    case "livelock":
      return `livelock at simulated time ${formatMs(verdict.atMs)}: ${verdict.events} events ran without simulated time moving`;
    case "noYield":
      return `a loop never yielded: the run was stopped after ${verdict.seconds} s of real time with no progress`;
    case "nondeterministic":
      return "the same seed gave two different runs (module-level state, or an iteration order that changes?)";
  }
}

/** The lines under the headline: details a learner can act on. */
export function details(verdict: Verdict): string[] {
  switch (verdict.kind) {
    case "anomaly":
      return verdict.anomalies.flatMap((a) => [`${a.name}: ${a.explanation}`]);
    case "exception":
    case "determinism":
      return verdict.frames.length > 0 ? verdict.frames.map((f) => `at ${f}`) : [];
    case "stuck":
      return [
        ...verdict.waitingOn.map((w) => `waiting on ${w}`),
        "a promise that is never resolved, or an await on something that will never happen?",
      ];
    case "livelock":
      return ["a loop that awaits sleep(0) or a resolved promise forever lets no simulated time pass"];
    case "noYield":
      return ["a synchronous loop (while/for) that never ends? the watchdog stopped it"];
    case "nondeterministic":
      return [
        `trace hashes ${verdict.digests[0]} and ${verdict.digests[1]}`,
        "state kept in module-level variables survives from one run to the next; keep all state in the object your factory returns",
      ];
    default:
      return [];
  }
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

/** The stack frames that point into lab code, as `file.ts:12:5 (functionName)`, relative to cwd. */
export function learnerFrames(error: unknown, codeRoots: readonly string[]): string[] {
  if (!(error instanceof Error) || error.stack === undefined) return [];
  const frames: string[] = [];
  for (const line of error.stack.split("\n").slice(1)) {
    const match = /^\s*at (?:(.+?) \()?(?:file:\/\/)?(\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!match) continue;
    const [, fn, file, row, col] = match;
    if (file === undefined || !codeRoots.some((root) => file.startsWith(root.endsWith("/") ? root : `${root}/`)))
      continue;
    // Learner files run transpiled (modules.ts): point at the line they wrote.
    const at = originalPosition(file, Number(row), Number(col));
    const where = `${path.relative(process.cwd(), file)}:${at.line}:${at.column}`;
    frames.push(fn ? `${where} (${fn.replace(/^async /, "")})` : where);
    if (frames.length >= 6) break;
  }
  return frames;
}
