/**
 * `lab status`: where the learner stands in one lab, part by part, from their saved grades.
 *
 * What a part shows, and whether it earns its points:
 *   never graded       "not started" while the code it runs still throws NotImplemented for it (or
 *                      for an earlier part it builds on), else "not graded yet". Read from the
 *                      learner's files, the same way for every lab.
 *   passed             earns its points only when graded on its default seeds or more; a shallower
 *                      run says what it was ("passed 1 seed") and the command that counts it.
 *   failing            the seed and the verdict, whatever the depth: one failing seed is a failure.
 *   stale              graded before the learner last changed a file the part runs: the result is
 *                      still shown, marked as from before the change, with the command that
 *                      refreshes it; its points are shown apart from the points earned.
 */

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { plural } from "../words.ts";
import type { Part } from "./define.ts";
import type { LabEntry } from "./labs.ts";
import { changedFiles, filesOfPart, passCounts, type SavedPart, type SavedResult } from "./results.ts";

export type PartView =
  | { kind: "notGraded"; blockedBy: string | null }
  | { kind: "graded"; saved: SavedPart; counts: boolean; changed: string[] };

export interface LabStatus {
  lab: LabEntry;
  parts: Array<{ part: Part<unknown>; view: PartView }>;
  earnedPoints: number;
  /** Points of passes graded before a change to the files they run. */
  stalePoints: number;
  totalPoints: number;
  lastGradedAt: string | null;
}

/** The status of every part of `lab`, for the learner's files in `dir`. */
export function labStatus(lab: LabEntry, dir: string, saved: SavedResult | null): LabStatus {
  const tags = stubTags(lab, dir);
  const order = new Map(lab.manifest.parts.map((p, i) => [p.id, i]));
  const status: LabStatus = {
    lab,
    parts: [],
    earnedPoints: 0,
    stalePoints: 0,
    totalPoints: 0,
    lastGradedAt: null,
  };
  for (const part of lab.manifest.parts) {
    status.totalPoints += part.points;
    const last = saved?.parts[part.id];
    if (last === undefined) {
      status.parts.push({ part, view: { kind: "notGraded", blockedBy: blockingStub(lab, part, dir, tags, order) } });
      continue;
    }
    const counts = passCounts(part, last);
    const changed = changedFiles(lab, last, dir);
    if (counts && changed.length === 0) status.earnedPoints += part.points;
    if (counts && changed.length > 0) status.stalePoints += part.points;
    if (status.lastGradedAt === null || last.gradedAt > status.lastGradedAt) status.lastGradedAt = last.gradedAt;
    status.parts.push({ part, view: { kind: "graded", saved: last, counts, changed } });
  }
  return status;
}

/** Whether every part has a pass that counts and is not stale. */
export function labPassed(status: LabStatus): boolean {
  return status.parts.every(({ view }) => view.kind === "graded" && view.counts && view.changed.length === 0);
}

/** The lines `lab status` prints for one lab. */
export function statusLines(status: LabStatus): string[] {
  const { lab } = status;
  const when = status.lastGradedAt === null ? "never graded" : `last graded ${formatWhen(status.lastGradedAt)}`;
  const stale =
    status.stalePoints > 0
      ? `, and ${status.stalePoints} more from before your last change (\`npx lab grade ${lab.id}\` refreshes them)`
      : "";
  const lines = [
    `${lab.id}  ${lab.manifest.title}: ${status.earnedPoints}/${status.totalPoints} points${stale} (${when})`,
  ];
  const width = Math.max(...lab.manifest.parts.map((p) => p.title.length));
  for (const { part, view } of status.parts) {
    const { mark, text } = describePart(lab, part, view);
    lines.push(`    ${mark} ${part.id.padEnd(5)} ${part.title.padEnd(width)}   ${text}`);
  }
  return lines;
}

/** One part's mark (✓ ✗ · ~) and the words `lab status` prints for it; the site shows the same. */
export function describePart(lab: LabEntry, part: Part<unknown>, view: PartView): { mark: string; text: string } {
  const command = `\`npx lab grade ${lab.id} --part ${part.id}\``;
  if (view.kind === "notGraded") {
    if (view.blockedBy === null) return { mark: "·", text: "not graded yet" };
    if (view.blockedBy === part.id) return { mark: "·", text: "not started (its stub still throws NotImplemented)" };
    return { mark: "·", text: `not started (it runs ${view.blockedBy}, whose stub still throws NotImplemented)` };
  }
  const { saved, counts, changed } = view;
  let mark: string;
  let text: string;
  if (saved.passed && counts) {
    mark = "✓";
    text = `passed (${plural(saved.seedsRun, "seed")})`;
  } else if (saved.passed) {
    const which = saved.seedsRun === 1 && saved.firstSeed !== 1 ? ` (seed ${saved.firstSeed})` : "";
    mark = "·";
    // A stale result gets the refresh command below; one command per line is enough.
    const count = changed.length === 0 ? `; run ${command} to count it (${plural(part.seeds, "seed")})` : "";
    text = `passed ${plural(saved.seedsRun, "seed")}${which}${count}`;
  } else if (saved.verdict === "notImplemented") {
    mark = "✗";
    text = "not implemented yet";
  } else {
    mark = "✗";
    text = `failing: seed ${saved.failedSeed}, ${saved.message}`;
  }
  if (changed.length === 0) return { mark, text };
  const files = changed.length <= 2 ? changed.join(" and ") : `${changed.length} of its files`;
  return {
    mark: "~",
    text: `${text}, from before your change to ${files}; ${command} refreshes it`,
  };
}

function formatWhen(iso: string): string {
  return `${iso.replace("T", " ").slice(0, 16)} UTC`;
}

const STUB_THROW = /throw new NotImplemented\(\s*["'`]([^"'`]+)["'`]\s*\)/;

/** Which learner files still throw NotImplemented, and for which parts (commented-out lines aside). */
function stubTags(lab: LabEntry, dir: string): Map<string, Set<string>> {
  const tags = new Map<string, Set<string>>();
  for (const file of lab.manifest.files) {
    const full = path.join(dir, file);
    const found = new Set<string>();
    if (existsSync(full)) {
      for (const line of readFileSync(full, "utf8").split("\n")) {
        const trimmed = line.trim();
        if (trimmed.startsWith("//") || trimmed.startsWith("*")) continue;
        const tag = STUB_THROW.exec(trimmed)?.[1];
        if (tag !== undefined) found.add(tag);
      }
    }
    tags.set(file, found);
  }
  return tags;
}

/**
 * The part whose stub keeps `part` from running: `part` itself when its own stub still throws,
 * else the earliest earlier part whose stub, in the files `part` runs, still throws; null when none.
 * Stubs of later parts do not count: part D of a file may be done while part E of it is not.
 */
function blockingStub(
  lab: LabEntry,
  part: Part<unknown>,
  dir: string,
  tags: ReadonlyMap<string, ReadonlySet<string>>,
  order: ReadonlyMap<string, number>,
): string | null {
  const own = order.get(part.id) ?? 0;
  const present = new Set(filesOfPart(lab, part.id, dir).flatMap((file) => [...(tags.get(file) ?? [])]));
  if (present.has(part.id)) return part.id;
  const earlier = [...present].filter((tag) => (order.get(tag) ?? Number.POSITIVE_INFINITY) < own);
  earlier.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  return earlier[0] ?? null;
}
