/**
 * Replay paths: what `--path` may be, and where a replay's trace is written.
 *
 * A failure report names a run by (seed, path): fast-check draws the scenario from the seed, and the
 * path (colon-separated non-negative integers) walks its shrink tree to the minimal failing
 * scenario. The grader draws one scenario per seed, so every path it prints starts with 0. A path
 * typed by hand can name no scenario at all (fast-check then replays nothing, or throws), or one
 * that the grader never ran; it must be refused before a run, not replayed as something invented.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import type { Part } from "./define.ts";

/** Why a `--path` cannot be replayed, in one line; null when it names a scenario of this seed. */
export function replayPathProblem(part: Part<unknown>, seed: number, replayPath: string): string | null {
  if (!/^\d+(:\d+)*$/.test(replayPath))
    return `--path takes non-negative whole numbers separated by colons (like 0:3:1), not '${replayPath}'`;
  if (!/^0(:|$)/.test(replayPath))
    return `--path ${replayPath} is not a path the grader prints: they all start with 0 (one scenario per seed). Copy --path from the failure report`;
  if (!pathNamesAScenario(part, seed, replayPath))
    return `--path ${replayPath} names no scenario of ${part.id} seed ${seed}: copy --path whole from the failure report, or leave it out to replay the seed's first run`;
  return null;
}

/**
 * Walks the shrink tree without running anything: fast-check's path walk depends only on the
 * seed and the arbitrary, so a property that always holds visits exactly the scenario the worker
 * would replay, or none (a path past the end), or throws ("Unable to replay") for a path that
 * leaves the tree half-way.
 */
function pathNamesAScenario(part: Part<unknown>, seed: number, replayPath: string): boolean {
  let visited = 0;
  const property = fc.property(part.scenario, () => {
    visited++;
    return true;
  });
  try {
    fc.check(property, { seed, path: replayPath, numRuns: 1 });
  } catch {
    return false;
  }
  return visited > 0;
}

const NAME_HASH_HEX_CHARS = 8;

/**
 * The trace file's name: short, deterministic, and unique per (lab, part, seed, path, implementation).
 * A shrunk path can be a hundred numbers long, so the path and the implementation enter the name
 * as a short hash; the file's header prints them in full.
 */
export function replayFileName(
  labId: string,
  partId: string,
  seed: number,
  replayPath: string,
  implFlag: string,
): string {
  const base = `${labId}-${partId}-seed${seed}`;
  if (replayPath === "0" && implFlag === "") return `${base}.log`;
  const hash = createHash("sha256").update(`${replayPath}\n${implFlag}`).digest("hex");
  return `${base}-${hash.slice(0, NAME_HASH_HEX_CHARS)}.log`;
}
