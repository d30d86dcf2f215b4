/**
 * What workloads, fault plans and verdicts all need to know about errors raised by lab code.
 *
 * It sits on the floor beside env.ts and lab-api.ts, below harness/workloads, harness/faults and
 * harness/grade, so that each of them can ask "is this a programming mistake?" or remember "which
 * client call raised this?" without reaching up into the grading layer.
 */
import { DeterminismViolation, NotImplemented } from "./lab-api.ts";

/** Whether an error is a programming mistake (never an honest failure of an operation). */
export function isProgrammingError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof NotImplemented ||
    error instanceof DeterminismViolation
  );
}

const raisedIn = new WeakMap<object, string>();

/**
 * Rethrows an error that lab code raised during a client call, remembering the call, so that the
 * verdict can say "your code threw in save("v1")" rather than "in the workload".
 */
export function rethrowFrom(call: string, error: unknown): never {
  if (typeof error === "object" && error !== null && !raisedIn.has(error)) raisedIn.set(error, call);
  throw error;
}

/** The client call an error was raised in, if `rethrowFrom` saw it. */
export function callThatRaised(error: unknown): string | undefined {
  return typeof error === "object" && error !== null ? raisedIn.get(error) : undefined;
}
