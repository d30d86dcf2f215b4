/**
 * The determinism guard.
 *
 * During a simulated run, lab code that reaches for the real clock or real randomness would make
 * the run unrepeatable, and a failure that cannot be replayed cannot be debugged. So while a run is
 * in progress, these globals are replaced by versions that check who is calling: a call made
 * directly from lab code (a file under one of the guarded folders) throws a `DeterminismViolation`
 * naming the `env` call to use instead; calls from libraries and from the harness pass through.
 */
import { DeterminismViolation } from "../lab-api.ts";

interface GuardedGlobal {
  owner: Record<string, unknown>;
  key: string;
  display: string;
  instead: string;
}

function guardedGlobals(): GuardedGlobal[] {
  const g = globalThis as unknown as Record<string, unknown>;
  const list: GuardedGlobal[] = [
    {
      owner: Date as unknown as Record<string, unknown>,
      key: "now",
      display: "Date.now()",
      instead: "env.clock.now()",
    },
    {
      owner: Math as unknown as Record<string, unknown>,
      key: "random",
      display: "Math.random()",
      instead: "env.rng.float()",
    },
    {
      owner: g,
      key: "setTimeout",
      display: "setTimeout()",
      instead: "env.clock.setTimer(ms, fn) or await env.clock.sleep(ms)",
    },
    { owner: g, key: "setInterval", display: "setInterval()", instead: "env.clock.setInterval(ms, fn)" },
    { owner: g, key: "setImmediate", display: "setImmediate()", instead: "await env.clock.sleep(0)" },
    {
      owner: performance as unknown as Record<string, unknown>,
      key: "now",
      display: "performance.now()",
      instead: "env.clock.now()",
    },
  ];
  list.push({
    owner: process as unknown as Record<string, unknown>,
    key: "exit",
    display: "process.exit()",
    instead: "throwing an error (the grader starts, stops and restarts nodes itself)",
  });
  const webCrypto = g.crypto as Record<string, unknown> | undefined;
  if (webCrypto !== undefined) {
    list.push({ owner: webCrypto, key: "randomUUID", display: "crypto.randomUUID()", instead: "env.rng.uuid()" });
  }
  return list;
}

/** Absolute file path of the frame that called the guarded function, if it can be read. */
function callerPath(): string | undefined {
  const stack = new Error().stack?.split("\n") ?? [];
  // [0] "Error", [1] callerPath, [2] the guarded wrapper, [3] its caller.
  const frame = stack[3];
  if (frame === undefined) return undefined;
  const match = /(?:\(|at )(?:file:\/\/)?(\/[^():]+):\d+:\d+\)?\s*$/.exec(frame);
  return match?.[1];
}

export interface GuardOptions {
  /** Absolute folder paths whose files are lab code. */
  roots: readonly string[];
  /** Called on every violation (lab code may catch the error; the run still fails). */
  onViolation: (violation: DeterminismViolation) => void;
}

let installed: { restore: () => void; options: GuardOptions } | null = null;

/**
 * Reports a violation found by other means (a stand-in for a real-world module, see
 * harness/grade/modules.ts) to the run in progress, if any. The caller throws it.
 */
export function reportViolation(violation: DeterminismViolation): void {
  installed?.options.onViolation(violation);
}

/**
 * Installs the guard until the returned function is called. Runs in one thread are sequential, so
 * one guard at a time is enough; installing again replaces the options.
 */
export function installGuard(options: GuardOptions): () => void {
  if (installed !== null) {
    const previous = installed.options;
    installed.options = options;
    return () => {
      if (installed) installed.options = previous;
    };
  }
  const saved: Array<{ item: GuardedGlobal; original: unknown }> = [];
  const state = { restore: () => {}, options };
  for (const item of guardedGlobals()) {
    const original = item.owner[item.key];
    if (typeof original !== "function") continue;
    saved.push({ item, original });
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const path = callerPath();
      if (path !== undefined && state.options.roots.some((root) => path.startsWith(root))) {
        const violation = new DeterminismViolation(item.display, item.instead);
        state.options.onViolation(violation);
        throw violation;
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
    item.owner[item.key] = wrapper;
  }
  state.restore = () => {
    for (const { item, original } of saved) item.owner[item.key] = original;
  };
  installed = state;
  return () => {
    state.restore();
    installed = null;
  };
}
