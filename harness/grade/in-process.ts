/**
 * Grading inside the current process, without worker threads: for the test suite, where a lab's
 * solution, stubs and bug zoo are graded over and over. (No watchdog here: a synchronous infinite
 * loop would hang the caller. The CLI grades in workers; see pool.ts.)
 */
import path from "node:path";
import { gradePart, type PartOutcome } from "./grade-part.ts";
import { findLab, guardRootsFor, type ImplChoice, type LabEntry, loadImpl } from "./labs.ts";

export interface InProcessOptions {
  /** Only these parts (default: all). */
  parts?: string[];
  /** Seeds per part: a count (seeds 1..n) or each part's default. */
  seeds?: number;
  /** First seed (default 1), to grade a later range of seeds. */
  firstSeed?: number;
  shrink?: boolean;
}

export interface InProcessGrade {
  lab: LabEntry;
  outcomes: Map<string, PartOutcome>;
}

/** Grades the implementation in `implDir` (absolute, or relative to the lab's folder). */
export async function gradeInProcess(
  labQuery: string,
  implDir: string,
  options: InProcessOptions = {},
): Promise<InProcessGrade> {
  const lab = await findLab(labQuery);
  const dir = path.resolve(lab.dir, implDir);
  const choice: ImplChoice = { kind: "other", dir, label: path.relative(process.cwd(), dir), flag: `--impl ${dir}` };
  const impl = await loadImpl(lab, choice);
  const outcomes = new Map<string, PartOutcome>();
  for (const part of lab.manifest.parts) {
    if (options.parts && !options.parts.includes(part.id)) continue;
    const count = options.seeds ?? part.seeds;
    const first = options.firstSeed ?? 1;
    const seeds = Array.from({ length: count }, (_, i) => first + i);
    outcomes.set(
      part.id,
      await gradePart(part, impl, seeds, {
        guardRoots: guardRootsFor(choice),
        implDir: dir,
        shrink: options.shrink ?? false,
      }),
    );
  }
  return { lab, outcomes };
}
