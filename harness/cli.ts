/**
 * The `lab` command: list the labs, show where you stand, grade an implementation, replay a failure.
 *
 * Exit codes: 0 when every graded part passed (or the command succeeded), 1 when a part failed,
 * 2 for bad input (an unknown lab or part, a malformed seed, a missing file). Bad input is one line
 * on stderr that names the fix, never a stack trace.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Part } from "./grade/define.ts";
import type { PartOutcome } from "./grade/grade-part.ts";
import {
  BadInput,
  checkImplFiles,
  chooseImpl,
  findLab,
  ImplLoadError,
  type LabEntry,
  listLabs,
  REPO_ROOT,
  relative,
} from "./grade/labs.ts";
import { GradingPool } from "./grade/pool.ts";
import { ProgressBar } from "./grade/progress.ts";
import { allPassed, type GradeResult, jsonReport, terminalReport } from "./grade/report.ts";
import { hashFiles, readSaved, saveResult } from "./grade/results.ts";
import { details, headline } from "./grade/verdict.ts";

const USAGE = `lab: learn message-broker internals by building them

  npx lab list                      every lab and its parts
  npx lab status                    your progress: each part's state for your implementation
  npx lab grade [LAB] [options]     grade an implementation (default: yours, of the first lab not yet passed)
      --part ID                     only this part (L0.B, or just B); repeatable
      --seeds N                     grade N seeds per part (default: each part's own number)
      --seed S                      grade exactly seed S
      --solution                    grade the reference solution instead
      --impl DIR                    grade the implementation in DIR (same files as the lab's stubs)
      --json                        print one JSON object on stdout, nothing else
      --no-shrink                   report failures as found, without shrinking the fault plan
  npx lab replay LAB --part ID --seed S [--path P] [--solution | --impl DIR] [--out FILE]
                                    rerun one failing run exactly; write its full trace and your logs to a file

Exit codes: 0 all graded parts pass, 1 some part fails, 2 bad input.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return 0;
      case "list":
        return await listCommand();
      case "status":
        return await statusCommand();
      case "grade":
        return await gradeCommand(rest);
      case "replay":
        return await replayCommand(rest);
      default:
        throw new BadInput(`unknown command '${command}': use list, status, grade or replay (see \`npx lab help\`)`);
    }
  } catch (error) {
    if (error instanceof BadInput) {
      console.error(`lab: ${error.message}`);
      return 2;
    }
    if (error instanceof ImplLoadError) {
      console.error(`lab: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

async function listCommand(): Promise<number> {
  for (const lab of await listLabs()) {
    const total = lab.manifest.parts.reduce((sum, p) => sum + p.points, 0);
    console.log(`${lab.id}  ${lab.manifest.title} (${total} points) — ${lab.manifest.summary}`);
    console.log(
      `    guide: ${relative(path.join(lab.dir, "README.md"))}   your files: ${relative(path.join(lab.dir, lab.manifest.learnerDir))}/`,
    );
    for (const part of lab.manifest.parts) {
      console.log(`    ${part.id.padEnd(5)} ${String(part.points).padStart(3)} pts  ${part.title}`);
    }
  }
  return 0;
}

async function statusCommand(): Promise<number> {
  for (const lab of await listLabs()) {
    const dir = path.join(lab.dir, lab.manifest.learnerDir);
    const saved = readSaved(lab);
    const changed = saved !== null && saved.filesHash !== hashFiles(dir, lab.manifest.files);
    const untouched = lab.manifest.files.every((file) => {
      const full = path.join(dir, file);
      return existsSync(full) && readFileSync(full, "utf8").includes("throw new NotImplemented(");
    });
    let earned = 0;
    const total = lab.manifest.parts.reduce((sum, p) => sum + p.points, 0);
    const lines: string[] = [];
    const width = Math.max(...lab.manifest.parts.map((p) => p.title.length));
    for (const part of lab.manifest.parts) {
      const state = saved?.parts[part.id];
      let text: string;
      if (state === undefined) text = untouched ? "not started (the stub is untouched)" : "not graded yet";
      else if (state.passed) {
        text = `passed (${state.seedsRun} seeds)`;
        earned += part.points;
      } else if (state.message?.includes("not implemented yet")) text = "not implemented yet";
      else text = `failing: seed ${state.failedSeed}, ${state.message}`;
      const mark = state === undefined ? "·" : state.passed ? "✓" : "✗";
      lines.push(`    ${mark} ${part.id.padEnd(5)} ${part.title.padEnd(width)}   ${text}`);
    }
    const when = saved ? `last graded ${saved.gradedAt.replace("T", " ").slice(0, 16)} UTC` : "never graded";
    const note = changed ? "; your files changed since: run `npx lab grade " + lab.id + "` again" : "";
    console.log(`${lab.id}  ${lab.manifest.title}: ${earned}/${total} points (${when}${note})`);
    for (const line of lines) console.log(line);
  }
  return 0;
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        part: { type: "string", multiple: true },
        seeds: { type: "string" },
        seed: { type: "string" },
        path: { type: "string" },
        solution: { type: "boolean" },
        impl: { type: "string" },
        json: { type: "boolean" },
        "no-shrink": { type: "boolean" },
        out: { type: "string" },
        workers: { type: "string" },
      },
    });
  } catch (error) {
    throw new BadInput(
      `${error instanceof Error ? error.message.split("\n")[0] : String(error)} (see \`npx lab help\`)`,
    );
  }
}

function parseWhole(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new BadInput(`${flag} takes a whole number from ${min} to ${max}, not '${text}'`);
  }
  return Number(text);
}

function selectParts(lab: LabEntry, wanted: string[] | undefined): Part<unknown>[] {
  if (wanted === undefined || wanted.length === 0) return lab.manifest.parts;
  const labNumber = String(Number(lab.id));
  return wanted
    .flatMap((w) => w.split(","))
    .map((raw) => {
      const id = raw.trim().toUpperCase();
      const part = lab.manifest.parts.find(
        (p) => p.id.toUpperCase() === id || p.id.toUpperCase() === `L${labNumber}.${id}`,
      );
      if (part === undefined) {
        throw new BadInput(
          `lab ${lab.id} has no part '${raw}': its parts are ${lab.manifest.parts.map((p) => p.id).join(", ")}`,
        );
      }
      return part;
    });
}

async function defaultLab(): Promise<LabEntry> {
  const labs = await listLabs();
  const first = labs.find((lab) => {
    const saved = readSaved(lab);
    return !lab.manifest.parts.every((p) => saved?.parts[p.id]?.passed === true);
  });
  const lab = first ?? labs[0];
  if (lab === undefined) throw new BadInput("no labs found under labs/");
  return lab;
}

async function gradeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args);
  if (positionals.length > 1) throw new BadInput(`grade takes one lab, not '${positionals.join(" ")}'`);
  const lab = positionals[0] === undefined ? await defaultLab() : await findLab(positionals[0]);
  const choice = chooseImpl(lab, { solution: values.solution, impl: values.impl });
  const parts = selectParts(lab, values.part);
  if (values.seed !== undefined && values.seeds !== undefined)
    throw new BadInput("use either --seed S or --seeds N, not both");
  const onlySeed = values.seed === undefined ? null : parseWhole(values.seed, "--seed", 0, 0xffff_ffff);
  const seedCount = values.seeds === undefined ? null : parseWhole(values.seeds, "--seeds", 1, 1_000_000);
  const workers = values.workers === undefined ? undefined : parseWhole(values.workers, "--workers", 1, 64);
  checkImplFiles(lab, choice);
  const seedsOf = (part: Part<unknown>): number[] =>
    onlySeed !== null ? [onlySeed] : Array.from({ length: seedCount ?? part.seeds }, (_, i) => i + 1);

  const json = values.json === true;
  const totalSeeds = parts.reduce((sum, p) => sum + seedsOf(p).length, 0);
  const progress = new ProgressBar(json ? 0 : totalSeeds, `Grading lab ${lab.id}`);
  if (!json && positionals[0] === undefined)
    console.log(`(no lab named: grading lab ${lab.id}, the first you have not passed yet)`);
  const pool = new GradingPool(lab, choice, { workers, onSeed: (partId) => progress.tick(partId) });
  const result: GradeResult = { lab, choice, parts: [] };
  try {
    const outcomes = await Promise.all(
      parts.map((part) => pool.grade(part.id, seedsOf(part), values["no-shrink"] !== true)),
    );
    result.parts = parts.map((part, i) => ({ part, outcome: outcomes[i] as PartOutcome }));
  } catch (error) {
    if (!(error instanceof ImplLoadError)) throw error;
    result.loadError = error.message;
    result.parts = parts.map((part) => ({ part, outcome: { partId: part.id, seedsRun: 0, failure: null } }));
  } finally {
    progress.clear();
    await pool.close();
  }

  if (choice.kind === "learner" && result.loadError === undefined) {
    saveResult(
      lab,
      hashFiles(choice.dir, lab.manifest.files),
      result.parts.map(({ part, outcome }) => ({
        id: part.id,
        passed: outcome.failure === null,
        seedsRun: outcome.seedsRun,
        ...(outcome.failure ? { failedSeed: outcome.failure.seed, message: headline(outcome.failure.verdict) } : {}),
      })),
      new Date(),
    );
  }
  if (json) process.stdout.write(`${JSON.stringify(jsonReport(result))}\n`);
  else console.log(terminalReport(result));
  return allPassed(result) ? 0 : 1;
}

async function replayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args);
  if (positionals.length !== 1)
    throw new BadInput("replay needs a lab: npx lab replay LAB --part ID --seed S [--path P]");
  const lab = await findLab(positionals[0] as string);
  const choice = chooseImpl(lab, { solution: values.solution, impl: values.impl });
  if (values.part === undefined || values.part.length !== 1) throw new BadInput("replay needs exactly one --part ID");
  const [part] = selectParts(lab, values.part) as [Part<unknown>];
  if (values.seed === undefined) throw new BadInput("replay needs --seed S (the seed the failure report printed)");
  const seed = parseWhole(values.seed, "--seed", 0, 0xffff_ffff);
  const replayPath = values.path ?? "0";
  if (!/^\d+(:\d+)*$/.test(replayPath))
    throw new BadInput(`--path takes numbers separated by colons (like 0:3:1), not '${replayPath}'`);
  checkImplFiles(lab, choice);

  const pool = new GradingPool(lab, choice, { workers: 1 });
  let replay: Awaited<ReturnType<GradingPool["replay"]>>;
  try {
    replay = await pool.replay(part.id, seed, replayPath);
  } finally {
    await pool.close();
  }
  if (replay.kind === "noYield") {
    console.log(
      `${part.id} seed ${seed}: a loop never yielded; the watchdog stopped the run after ${replay.seconds} s, so no trace was kept.`,
    );
    console.log("Look for a while/for loop that never ends, or one that never awaits anything.");
    return 1;
  }
  const outFile =
    values.out === undefined
      ? path.join(
          REPO_ROOT,
          ".lab",
          "replays",
          `${lab.id}-${part.id}-seed${seed}${replayPath === "0" ? "" : `-${replayPath.replaceAll(":", ".")}`}.log`,
        )
      : path.resolve(values.out);
  const verdictLines = [headline(replay.verdict), ...details(replay.verdict).map((d) => `  ${d}`)];
  const header = [
    `# npx lab replay ${args.join(" ")}`,
    `# lab ${lab.id}, part ${part.id} (${part.title}), seed ${seed}, path ${replayPath}, implementation ${choice.label}/`,
    `# verdict: ${verdictLines.join("\n#   ")}`,
    "# scenario:",
    ...replay.scenarioLines.map((line) => `#   ${line}`),
    `# ${replay.events} events, ${replay.simMs.toFixed(3)} ms of simulated time. Each line: time, node, what happened.`,
    "# Lines starting with { are your code's own log lines (env.log), with simMs and node.",
    "",
  ];
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${[...header, ...replay.trace].join("\n")}\n`);
  console.log(`${part.id} seed ${seed}${replayPath === "0" ? "" : ` path ${replayPath}`}: ${verdictLines.join("\n")}`);
  for (const line of replay.scenarioLines) console.log(`  ${line}`);
  console.log(`Full trace (${replay.trace.length} lines) written to ${relative(outFile)}`);
  return replay.verdict.kind === "pass" ? 0 : 1;
}
