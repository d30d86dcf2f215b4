/**
 * The learner's grades, kept in `.lab/results/NN-name.json` (never in the learner's own files) so
 * that `lab status` can show where they stand.
 *
 * Each part keeps its own last result: when it was graded, on which seeds, and a hash of every
 * learner file it ran. So grading one part never erases another's result, and a change to a file
 * marks stale only the parts that run that file (`partFiles` in the lab's manifest, plus whatever
 * those files import from the learner's folder).
 *
 * Format (version 2):
 *   { "version": 2, "parts": { "L0.B": { "passed": true, "firstSeed": 1, "seedsRun": 300,
 *     "gradedAt": "2026-12-01T10:00:00.000Z", "fileHashes": { "register.ts": "9f2c..." } } } }
 * Version 1 (one hash for the whole lab, one date) is still read: its parts are stale as soon as
 * any of the lab's files changed.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Part } from "./define.ts";
import type { LabEntry } from "./labs.ts";
import { REPO_ROOT } from "./labs.ts";

export interface SavedPart {
  passed: boolean;
  /** The seeds graded: `seedsRun` of them from `firstSeed` on (a failure stops at `failedSeed`). */
  firstSeed: number;
  seedsRun: number;
  gradedAt: string;
  /** For a failure: the seed, the verdict's kind and its one-line headline. */
  failedSeed?: number;
  verdict?: string;
  message?: string;
  /** A hash of each learner file the part ran, by name. */
  fileHashes: Record<string, string>;
  /** Version 1 results only: one hash over all of the lab's files. */
  labHash?: string;
}

export interface SavedResult {
  version: 2;
  parts: Record<string, SavedPart>;
}

const RESULTS_VERSION = 2;
const FILE_HASH_HEX_CHARS = 16;
const MISSING = "missing";

export const RESULTS_DIR = path.join(REPO_ROOT, ".lab", "results");

/** A hash of one file's bytes, or "missing". */
export function hashFile(dir: string, file: string): string {
  const full = path.join(dir, file);
  if (!existsSync(full)) return MISSING;
  return createHash("sha256").update(readFileSync(full)).digest("hex").slice(0, FILE_HASH_HEX_CHARS);
}

/** Version 1's hash over all the lab's files, to read old results. */
export function hashFilesV1(dir: string, files: readonly string[]): string {
  const hash = createHash("sha256");
  for (const file of files) {
    const full = path.join(dir, file);
    hash.update(file);
    hash.update(existsSync(full) ? readFileSync(full) : "<missing>");
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * The learner files a part runs: the files its manifest names (all of the lab's files when it
 * names none), plus every lab file that those import from the same folder, transitively. The
 * imports are read from the learner's own code, since a learner may split their work differently
 * from the reference.
 */
export function filesOfPart(lab: LabEntry, partId: string, dir: string): string[] {
  const known = new Set(lab.manifest.files);
  const declared = lab.manifest.partFiles?.[partId] ?? lab.manifest.files;
  // The learner's folder is also reachable by the project's import alias.
  const alias = `#labs/${lab.slug}/${lab.manifest.learnerDir}/`;
  const found = new Set<string>();
  const queue = declared.filter((file) => known.has(file));
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (found.has(file)) continue;
    found.add(file);
    for (const imported of localImports(dir, file, known, alias)) if (!found.has(imported)) queue.push(imported);
  }
  return lab.manifest.files.filter((file) => found.has(file));
}

const IMPORT_PATTERN = /(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']/g;

/** The lab files that `file` imports (type-only imports included: erring towards stale is safe). */
function localImports(dir: string, file: string, known: ReadonlySet<string>, alias: string): string[] {
  const full = path.join(dir, file);
  if (!existsSync(full)) return [];
  const out: string[] = [];
  for (const match of readFileSync(full, "utf8").matchAll(IMPORT_PATTERN)) {
    const specifier = match[1] as string;
    let target: string;
    if (specifier.startsWith(alias)) target = specifier.slice(alias.length);
    else if (specifier.startsWith("./") || specifier.startsWith("../"))
      target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    else continue;
    const hit = [target, `${target}.ts`, target.replace(/\.js$/, ".ts")].find((c) => known.has(c));
    if (hit !== undefined) out.push(hit);
  }
  return out;
}

export function hashesOf(dir: string, files: readonly string[]): Record<string, string> {
  return Object.fromEntries(files.map((file) => [file, hashFile(dir, file)]));
}

function resultsFile(lab: LabEntry, resultsDir: string): string {
  return path.join(resultsDir, `${lab.slug}.json`);
}

interface SavedV1 {
  gradedAt: string;
  filesHash: string;
  parts: Record<string, { passed: boolean; seedsRun: number; failedSeed?: number; message?: string }>;
}

export function readSaved(lab: LabEntry, resultsDir: string = RESULTS_DIR): SavedResult | null {
  const file = resultsFile(lab, resultsDir);
  if (!existsSync(file)) return null;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
  if (typeof data !== "object" || data === null) return null;
  if ((data as { version?: unknown }).version === RESULTS_VERSION) return data as SavedResult;
  if (typeof (data as SavedV1).filesHash === "string") return fromV1(data as SavedV1);
  return null;
}

function fromV1(old: SavedV1): SavedResult {
  const parts: Record<string, SavedPart> = {};
  for (const [id, part] of Object.entries(old.parts ?? {})) {
    parts[id] = {
      passed: part.passed,
      firstSeed: 1,
      seedsRun: part.seedsRun,
      gradedAt: old.gradedAt,
      ...(part.failedSeed === undefined ? {} : { failedSeed: part.failedSeed }),
      ...(part.message === undefined ? {} : { message: part.message }),
      ...(part.message?.includes("not implemented yet") ? { verdict: "notImplemented" } : {}),
      fileHashes: {},
      labHash: old.filesHash,
    };
  }
  return { version: RESULTS_VERSION, parts };
}

/** Whether a pass covers the part's default seeds (1 to `part.seeds`) or more: only then it earns points. */
export function passCounts(part: Pick<Part<unknown>, "seeds">, saved: SavedPart): boolean {
  return saved.passed && saved.firstSeed === 1 && saved.seedsRun >= part.seeds;
}

/**
 * The files among `saved`'s that changed since it was graded (for a version 1 result: every file
 * of the lab, when any changed).
 */
export function changedFiles(lab: LabEntry, saved: SavedPart, dir: string): string[] {
  if (saved.labHash !== undefined) {
    return hashFilesV1(dir, lab.manifest.files) === saved.labHash ? [] : [...lab.manifest.files];
  }
  return Object.entries(saved.fileHashes)
    .filter(([file, hash]) => hashFile(dir, file) !== hash)
    .map(([file]) => file);
}

/**
 * Merges freshly graded parts into the saved results. A shallow pass (fewer seeds than the
 * default) never replaces a full pass of the same files: it proves less than what is already kept.
 */
export function saveResult(
  lab: LabEntry,
  fresh: ReadonlyMap<string, SavedPart>,
  resultsDir: string = RESULTS_DIR,
): SavedResult {
  const merged: SavedResult = { version: RESULTS_VERSION, parts: { ...(readSaved(lab, resultsDir)?.parts ?? {}) } };
  for (const [id, part] of fresh) {
    const previous = merged.parts[id];
    const definition = lab.manifest.parts.find((p) => p.id === id);
    const keepPrevious =
      previous !== undefined &&
      definition !== undefined &&
      passCounts(definition, previous) &&
      part.passed &&
      !passCounts(definition, part) &&
      previous.labHash === undefined &&
      sameHashes(previous.fileHashes, part.fileHashes);
    if (!keepPrevious) merged.parts[id] = part;
  }
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(resultsFile(lab, resultsDir), `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

function sameHashes(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
