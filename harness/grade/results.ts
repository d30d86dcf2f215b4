/**
 * The learner's last grades, kept in `.lab/results/` (never in the learner's own files) so that
 * `lab status` can show where they stand and whether their files changed since.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LabEntry } from "./labs.ts";
import { REPO_ROOT } from "./labs.ts";

export interface SavedPart {
  id: string;
  passed: boolean;
  seedsRun: number;
  /** For a failure: the seed and the one-line verdict. */
  failedSeed?: number;
  message?: string;
}

export interface SavedResult {
  gradedAt: string;
  filesHash: string;
  parts: Record<string, SavedPart>;
}

export const RESULTS_DIR = path.join(REPO_ROOT, ".lab", "results");

/** A hash of the learner's files, to tell whether they changed since the last grade. */
export function hashFiles(dir: string, files: readonly string[]): string {
  const hash = createHash("sha256");
  for (const file of files) {
    const full = path.join(dir, file);
    hash.update(file);
    hash.update(existsSync(full) ? readFileSync(full) : "<missing>");
  }
  return hash.digest("hex").slice(0, 16);
}

export function readSaved(lab: LabEntry): SavedResult | null {
  const file = path.join(RESULTS_DIR, `${lab.slug}.json`);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as SavedResult;
  } catch {
    return null;
  }
}

/** Merges freshly graded parts into the saved result (grading one part keeps the others' state). */
export function saveResult(lab: LabEntry, filesHash: string, parts: SavedPart[], gradedAt: Date): void {
  const previous = readSaved(lab);
  const merged: SavedResult = {
    gradedAt: gradedAt.toISOString(),
    filesHash,
    parts: previous?.filesHash === filesHash ? { ...previous.parts } : {},
  };
  for (const part of parts) merged.parts[part.id] = part;
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, `${lab.slug}.json`), `${JSON.stringify(merged, null, 2)}\n`);
}
