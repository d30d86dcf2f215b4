/** Helpers for the real environment's own unit tests: waits on the wall clock, temporary folders. */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach } from "vitest";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** "pending" if `promise` has not settled after `ms`, else what it settled with. */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | "pending"> {
  return Promise.race([promise, sleep(ms).then(() => "pending" as const)]);
}

/**
 * Makes new temporary folders named `prefix...`; each is removed after the test that made it.
 * Call it at the top of a test file (it registers the clean-up).
 */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
