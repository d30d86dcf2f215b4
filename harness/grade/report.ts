/**
 * Grade reports: the table a learner reads in the terminal, the failure reports under it, and the
 * one JSON object `--json` prints for tools.
 */

import { plural } from "../words.ts";
import type { Part } from "./define.ts";
import type { PartFailure, PartOutcome } from "./grade-part.ts";
import type { ImplChoice, LabEntry } from "./labs.ts";
import { details, headline } from "./verdict.ts";

export interface GradeResult {
  lab: LabEntry;
  choice: ImplChoice;
  parts: Array<{ part: Part<unknown>; outcome: PartOutcome }>;
  /** Set when the implementation could not be loaded at all. */
  loadError?: string;
}

export function score(result: GradeResult): { score: number; maxScore: number } {
  let total = 0;
  let max = 0;
  for (const { part, outcome } of result.parts) {
    max += part.points;
    if (outcome.failure === null && result.loadError === undefined) total += part.points;
  }
  return { score: total, maxScore: max };
}

export function allPassed(result: GradeResult): boolean {
  return result.loadError === undefined && result.parts.every(({ outcome }) => outcome.failure === null);
}

export function replayCommand(lab: LabEntry, choice: ImplChoice, partId: string, failure: PartFailure): string {
  const path = failure.path === "0" ? "" : ` --path ${failure.path}`;
  const impl = choice.flag === "" ? "" : ` ${choice.flag}`;
  return `npx lab replay ${lab.id} --part ${partId} --seed ${failure.seed}${path}${impl}`;
}

/** The lines of one failure report. */
export function failureReport(result: GradeResult, part: Part<unknown>, failure: PartFailure): string[] {
  const lines: string[] = [];
  lines.push(`── ${part.id} failed: ${part.title} ── seed ${failure.seed}`);
  lines.push(`  ${headline(failure.verdict)}`);
  for (const line of details(failure.verdict)) lines.push(`    ${line}`);
  if (failure.verdict.kind === "anomaly") lines.push(`  The property: ${part.property}.`);
  for (const note of failure.notes ?? []) lines.push(`  ${note}`);
  if (failure.timeline.length > 0 && failure.verdict.kind !== "notImplemented") {
    lines.push("  What happened, in simulated time (> marks the operations involved, !! the faults):");
    for (const line of failure.timeline) lines.push(`  ${line}`);
  }
  if (failure.scenarioLines.length > 0 && failure.verdict.kind !== "notImplemented") {
    const { before, after } = failure.planEvents;
    const shrunk = before > after ? ` (shrunk from ${plural(before, "fault event")} to ${after})` : "";
    lines.push(`  The scenario${shrunk}:`);
    for (const line of failure.scenarioLines) lines.push(`    ${line}`);
  }
  if (failure.verdict.kind !== "notImplemented") {
    const command = replayCommand(result.lab, result.choice, part.id, failure);
    lines.push(`  Replay it, with a full trace and your logs: ${command}`);
    lines.push(`  See it drawn (a space-time diagram in your browser): ${command} --html`);
  }
  return lines;
}

/** The terminal report: a table of parts, then one report per failure. */
export function terminalReport(result: GradeResult): string {
  const out: string[] = [];
  const { lab, choice } = result;
  out.push(`Lab ${lab.id} · ${lab.manifest.title} — ${describeChoice(choice)}`);
  if (result.loadError !== undefined) {
    out.push(`  ✗ ${result.loadError}`);
    out.push("    Fix this first: no part can be graded until the file loads.");
  }
  const width = Math.max(...result.parts.map(({ part }) => part.title.length), 10);
  for (const { part, outcome } of result.parts) {
    const passed = outcome.failure === null && result.loadError === undefined;
    const mark = passed ? "✓" : "✗";
    const points = `${passed ? part.points : 0}/${part.points}`.padStart(7);
    const status = result.loadError
      ? "not graded"
      : passed
        ? plural(outcome.seedsRun, "seed")
        : outcome.failure?.verdict.kind === "notImplemented"
          ? "not implemented yet"
          : `failed on seed ${outcome.failure?.seed} (${plural(outcome.seedsRun, "seed")} run)`;
    out.push(`  ${mark} ${part.id.padEnd(5)} ${part.title.padEnd(width)} ${points}   ${status}`);
  }
  const { score: total, maxScore } = score(result);
  out.push(`  Score: ${total}/${maxScore}`);
  for (const { part, outcome } of result.parts) {
    if (outcome.failure === null || result.loadError !== undefined) continue;
    out.push("");
    out.push(...failureReport(result, part, outcome.failure));
  }
  return out.join("\n");
}

export function describeChoice(choice: ImplChoice): string {
  switch (choice.kind) {
    case "learner":
      return `grading your implementation in ${choice.label}/`;
    case "solution":
      return `grading the reference solution in ${choice.label}/`;
    case "other":
      return `grading the implementation in ${choice.label}/`;
  }
}

/** The `--json` object: exactly the documented fields, plus `verdict` and `report` per failure. */
export function jsonReport(result: GradeResult): object {
  const { score: total, maxScore } = score(result);
  return {
    lab: result.lab.id,
    impl: result.choice.label,
    score: total,
    maxScore,
    ...(result.loadError === undefined ? {} : { error: result.loadError }),
    parts: result.parts.map(({ part, outcome }) => {
      const passed = outcome.failure === null && result.loadError === undefined;
      return {
        id: part.id,
        title: part.title,
        points: passed ? part.points : 0,
        maxPoints: part.points,
        passed,
        seedsRun: outcome.seedsRun,
        failures:
          outcome.failure === null
            ? []
            : [
                {
                  seed: outcome.failure.seed,
                  message: headline(outcome.failure.verdict),
                  replay: replayCommand(result.lab, result.choice, part.id, outcome.failure),
                  verdict: outcome.failure.verdict.kind,
                  report: failureReport(result, part, outcome.failure),
                },
              ],
      };
    }),
  };
}
