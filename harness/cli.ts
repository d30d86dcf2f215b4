/**
 * The `lab` command: list the labs, show where you stand, grade an implementation, replay a failure.
 *
 * Exit codes: 0 when every graded part passed (or the command succeeded), 1 when a part failed,
 * 2 for bad input (an unknown lab or part, a malformed seed, a missing file). Bad input is one line
 * on stderr that names the fix, never a stack trace. Every command answers `--help` with its own
 * usage, drawn from the same table its arguments are parsed with (cli-args.ts).
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  type CommandSpec,
  commandUsage,
  OPTION_COLUMN_WIDTH,
  optionLines,
  type ParsedArgs,
  parseCommandArgs,
} from "./cli-args.ts";
import type { Part } from "./grade/define.ts";
import type { PartOutcome } from "./grade/grade-part.ts";
import {
  BadInput,
  checkImplFiles,
  chooseImpl,
  defaultLabOf,
  findLab,
  type ImplChoice,
  ImplLoadError,
  type LabEntry,
  listLabs,
  loadImpl,
  REPO_ROOT,
  relative,
} from "./grade/labs.ts";
import { GradingPool } from "./grade/pool.ts";
import { ProgressBar } from "./grade/progress.ts";
import { realDbPartOf } from "./grade/real-db.ts";
import { replayFileName, replayPathProblem } from "./grade/replay-path.ts";
import { allPassed, type GradeResult, jsonReport, terminalReport } from "./grade/report.ts";
import { filesOfPart, hashesOf, readSaved, type SavedPart, saveResult } from "./grade/results.ts";
import { labPassed, labStatus, statusLines } from "./grade/status.ts";
import { details, headline } from "./grade/verdict.ts";
import { ServerUnreachable } from "./real/unreachable.ts";
import { OPEN, openCommand } from "./site/command.ts";
import { deepCheck } from "./tools/deep-check.ts";
import { renderHtml } from "./viz/html.ts";
import { plural } from "./words.ts";

const SEED_MAX = 0xffff_ffff;

/** Commands that act on one lab, or on every lab when none is named. */
const OPTIONAL_LAB: CommandSpec["positionals"] = { min: 0, max: 1, noun: "lab", missing: "" };

/** Commands that need a lab: `missing` says how to call them. */
function requiredLab(missing: string): CommandSpec["positionals"] {
  return { min: 1, max: 1, noun: "lab", missing };
}

const WORKERS_OPTION = {
  name: "workers",
  value: "N",
  help: "grade on N worker threads (default: 2, or 1 on one core)",
} as const;

const LIST: CommandSpec = {
  name: "list",
  synopsis: "list [LAB]",
  summary: "every lab and its parts (or one lab's)",
  positionals: OPTIONAL_LAB,
  options: [],
};

const STATUS: CommandSpec = {
  name: "status",
  synopsis: "status [LAB]",
  summary: "your progress: each part's state for your implementation (or one lab's)",
  positionals: OPTIONAL_LAB,
  options: [],
  notes: [
    "A part earns its points once graded on its default seeds (or more), and keeps its result until",
    "you change a file it runs; then the result is marked as from before your change.",
  ],
};

const GRADE: CommandSpec = {
  name: "grade",
  synopsis: "grade [LAB] [options]",
  summary: "grade an implementation (default: yours, of the first lab not yet passed)",
  positionals: OPTIONAL_LAB,
  options: [
    { name: "part", value: "ID", multiple: true, help: "only this part (L0.B, or just B); repeatable" },
    { name: "seeds", value: "N", help: "grade N seeds per part (default: each part's own number)" },
    { name: "seed", value: "S", help: "grade exactly seed S" },
    { name: "solution", help: "grade the reference solution instead" },
    { name: "impl", value: "DIR", help: "grade the implementation in DIR (same files as the lab's stubs)" },
    { name: "json", help: "print one JSON object on stdout, nothing else" },
    { name: "no-shrink", help: "report failures as found, without shrinking the fault plan" },
    WORKERS_OPTION,
    {
      name: "real-db",
      help: "run the lab's real part instead (labs 03, 04): real time, real PostgreSQL (and Redis)",
    },
  ],
  notes: [
    "--real-db opens the database named by DATABASE_URL, else PostgreSQL in a container, else PGlite",
    "(embedded); lab 04 also opens REDIS_URL, else Redis in a container, else the lab's Redis model on",
    "the real clock (no embedded Redis server exists for Node). It prints which. It runs fixed",
    "scenarios, so it takes no --part, --seed(s) or --json.",
    "Exit codes: 0 all graded parts pass, 1 some part fails, 2 bad input.",
  ],
};

const REPLAY: CommandSpec = {
  name: "replay",
  synopsis: "replay LAB --part ID --seed S [--path P] [--solution | --impl DIR] [--out FILE] [--html]",
  summary: "rerun one failing run exactly; write its full trace and your logs to a file",
  positionals: requiredLab("replay needs a lab: npx lab replay LAB --part ID --seed S [--path P]"),
  options: [
    { name: "part", value: "ID", help: "the part the failure report names" },
    { name: "seed", value: "S", help: "the seed the failure report names" },
    {
      name: "path",
      value: "P",
      help: "the shrunk run's path, as the report prints it (default: the seed's first run)",
    },
    { name: "solution", help: "replay the reference solution" },
    { name: "impl", value: "DIR", help: "replay the implementation in DIR" },
    { name: "out", value: "FILE", help: "write the trace to FILE (default: .lab/replays/...)" },
    { name: "html", help: "also draw the run as a space-time diagram: one HTML page beside the trace" },
  ],
  notes: ["Every failure report prints the exact replay command: copy it whole."],
};

const DEEP_CHECK: CommandSpec = {
  name: "deep-check",
  synopsis: "deep-check LAB [--seeds N] [--part ID] [--first S] [--impl DIR] [--workers N]",
  summary: "grade the reference solution (or DIR) on thousands of seeds per part, without shrinking",
  positionals: requiredLab("deep-check needs a lab: npx lab deep-check LAB"),
  options: [
    { name: "seeds", value: "N", help: "seeds per part (default 5000)" },
    { name: "part", value: "ID", multiple: true, help: "only this part; repeatable" },
    { name: "first", value: "S", help: "start at seed S (default 1), to check a later range" },
    { name: "impl", value: "DIR", help: "check the implementation in DIR instead of the solution" },
    WORKERS_OPTION,
  ],
  notes: ["For lab authors: the promise that a reference solution never fails. Exit code 1 if a part failed."],
};

const HELP: CommandSpec = {
  name: "help",
  synopsis: "help [COMMAND]",
  summary: "this text, or one command's usage (the same as `npx lab COMMAND --help`)",
  positionals: { min: 0, max: 1, noun: "command", missing: "" },
  options: [],
};

const COMMANDS: readonly CommandSpec[] = [LIST, STATUS, GRADE, REPLAY, OPEN, DEEP_CHECK, HELP];

/** The overview: every command, and the options of `grade`, the one a learner runs most. */
export function usage(): string {
  // Summaries line up with the option descriptions under `grade`.
  const column = 6 + OPTION_COLUMN_WIDTH;
  const line = (spec: CommandSpec) => {
    const left = `  npx lab ${spec.synopsis}`;
    return left.length < column ? [left.padEnd(column) + spec.summary] : [left, " ".repeat(column) + spec.summary];
  };
  return [
    "lab: learn message-broker internals by building them",
    "",
    ...line(LIST),
    ...line(STATUS),
    ...line(GRADE),
    ...optionLines(GRADE, "      "),
    ...line(REPLAY),
    ...line(OPEN),
    ...line(DEEP_CHECK),
    ...line(HELP),
    "",
    "Every command answers --help with its own usage.",
    "Exit codes: 0 all graded parts pass, 1 some part fails, 2 bad input.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "--help":
      case "-h":
        console.log(usage());
        return 0;
      case "help":
        return helpCommand(rest);
      case "list":
        return await withArgs(LIST, rest, listCommand);
      case "status":
        return await withArgs(STATUS, rest, statusCommand);
      case "grade":
        return await withArgs(GRADE, rest, gradeCommand);
      case "replay":
        return await withArgs(REPLAY, rest, (args) => replayCommand(args, rest));
      case "open":
        return await withArgs(OPEN, rest, (args) => openCommand(args));
      case "deep-check":
        return await withArgs(DEEP_CHECK, rest, deepCheckCommand);
      default:
        throw new BadInput(
          `unknown command '${command}': use list, status, grade, replay, open or deep-check (see \`npx lab help\`)`,
        );
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

/** Parses a command's arguments; `--help` prints its usage instead of running it. */
async function withArgs(spec: CommandSpec, args: string[], run: (args: ParsedArgs) => Promise<number>) {
  const parsed = parseCommandArgs(spec, args);
  if (parsed.help) {
    console.log(commandUsage(spec));
    return 0;
  }
  return run(parsed);
}

function helpCommand(args: string[]): number {
  const parsed = parseCommandArgs(HELP, args);
  const topic = parsed.positionals[0];
  if (parsed.help) {
    console.log(commandUsage(HELP));
    return 0;
  }
  if (topic === undefined) {
    console.log(usage());
    return 0;
  }
  const spec = COMMANDS.find((c) => c.name === topic);
  if (spec === undefined)
    throw new BadInput(`no command '${topic}': the commands are ${COMMANDS.map((c) => c.name).join(", ")}`);
  console.log(commandUsage(spec));
  return 0;
}

/** The labs a command is about: the one named, or all of them. */
async function labsNamed(positional: string | undefined): Promise<LabEntry[]> {
  return positional === undefined ? listLabs() : [await findLab(positional)];
}

async function listCommand(args: ParsedArgs): Promise<number> {
  for (const lab of await labsNamed(args.positionals[0])) {
    const total = lab.manifest.parts.reduce((sum, p) => sum + p.points, 0);
    console.log(`${lab.id}  ${lab.manifest.title} (${total} points) — ${lab.manifest.summary}`);
    const building = lab.manifest.underConstruction;
    if (building !== undefined) console.log(`    UNDER CONSTRUCTION: ${building}`);
    console.log(
      `    guide: ${relative(path.join(lab.dir, "README.md"))}   your files: ${relative(path.join(lab.dir, lab.manifest.learnerDir))}/`,
    );
    for (const part of lab.manifest.parts) {
      console.log(`    ${part.id.padEnd(5)} ${String(part.points).padStart(3)} pts  ${part.title}`);
    }
  }
  return 0;
}

async function statusCommand(args: ParsedArgs): Promise<number> {
  for (const lab of await labsNamed(args.positionals[0])) {
    const dir = path.join(lab.dir, lab.manifest.learnerDir);
    for (const line of statusLines(labStatus(lab, dir, readSaved(lab)))) console.log(line);
  }
  return 0;
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
  const chosen = wanted
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
  // `--part B --part L0.B` names one part: grade it once.
  return [...new Set(chosen)];
}

/** `--solution` or `--impl DIR`, checked: a file given as DIR is named as such. */
function implChoice(lab: LabEntry, args: ParsedArgs): ImplChoice {
  const impl = args.strings.get("impl")?.[0];
  if (impl !== undefined && existsSync(impl) && !statSync(impl).isDirectory()) {
    const example = relative(path.join(lab.dir, "solution"));
    throw new BadInput(
      `--impl ${impl} is a file; --impl takes the folder that holds ${lab.manifest.files.join(", ")} (like ${example})`,
    );
  }
  return chooseImpl(lab, { solution: args.flags.has("solution"), impl });
}

async function deepCheckCommand(args: ParsedArgs): Promise<number> {
  const lab = await findLab(args.positionals[0] as string);
  const impl = args.strings.get("impl")?.[0];
  const choice = impl === undefined ? chooseImpl(lab, { solution: true }) : implChoice(lab, args);
  checkImplFiles(lab, choice);
  const seedsText = args.strings.get("seeds")?.[0];
  const firstText = args.strings.get("first")?.[0];
  const workersText = args.strings.get("workers")?.[0];
  return deepCheck(lab, choice, selectParts(lab, args.strings.get("part")), {
    seeds: seedsText === undefined ? 5000 : parseWhole(seedsText, "--seeds", 1, 1_000_000),
    firstSeed: firstText === undefined ? 1 : parseWhole(firstText, "--first", 0, SEED_MAX),
    workers: workersText === undefined ? undefined : parseWhole(workersText, "--workers", 1, 64),
  });
}

async function defaultLab(): Promise<LabEntry> {
  const labs = await listLabs();
  const lab = defaultLabOf(labs, (lab) =>
    labPassed(labStatus(lab, path.join(lab.dir, lab.manifest.learnerDir), readSaved(lab))),
  );
  if (lab === undefined) throw new BadInput("no labs found under labs/");
  return lab;
}

async function gradeCommand(args: ParsedArgs): Promise<number> {
  const named = args.positionals[0];
  const lab = named === undefined ? await defaultLab() : await findLab(named);
  if (args.flags.has("real-db")) return realDbCommand(lab, args);
  const choice = implChoice(lab, args);
  const parts = selectParts(lab, args.strings.get("part"));
  const seedText = args.strings.get("seed")?.[0];
  const seedsText = args.strings.get("seeds")?.[0];
  const workersText = args.strings.get("workers")?.[0];
  if (seedText !== undefined && seedsText !== undefined)
    throw new BadInput("use either --seed S or --seeds N, not both");
  const onlySeed = seedText === undefined ? null : parseWhole(seedText, "--seed", 0, SEED_MAX);
  const seedCount = seedsText === undefined ? null : parseWhole(seedsText, "--seeds", 1, 1_000_000);
  const workers = workersText === undefined ? undefined : parseWhole(workersText, "--workers", 1, 64);
  checkImplFiles(lab, choice);
  const seedsOf = (part: Part<unknown>): number[] =>
    onlySeed !== null ? [onlySeed] : Array.from({ length: seedCount ?? part.seeds }, (_, i) => i + 1);

  const json = args.flags.has("json");
  const totalSeeds = parts.reduce((sum, p) => sum + seedsOf(p).length, 0);
  const progress = new ProgressBar(json ? 0 : totalSeeds, `Grading lab ${lab.id}`);
  if (!json && named === undefined)
    console.log(`(no lab named: grading lab ${lab.id}, the first you have not passed yet)`);
  // Hashed before grading: a file saved while the grade runs must make its result stale, not fresh.
  const hashesBefore = new Map(
    parts.map((part) => [part.id, hashesOf(choice.dir, filesOfPart(lab, part.id, choice.dir))]),
  );
  const gradedAt = new Date().toISOString();
  const pool = new GradingPool(lab, choice, { workers, onSeed: (partId) => progress.tick(partId) });
  const result: GradeResult = { lab, choice, parts: [] };
  try {
    const outcomes = await Promise.all(
      parts.map((part) => pool.grade(part.id, seedsOf(part), !args.flags.has("no-shrink"))),
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

  if (choice.kind === "learner" && result.loadError === undefined)
    saveResult(lab, savedParts(result, seedsOf, hashesBefore, gradedAt));
  if (json) process.stdout.write(`${JSON.stringify(jsonReport(result))}\n`);
  else console.log(terminalReport(result));
  return allPassed(result) ? 0 : 1;
}

/** `grade LAB --real-db`: the lab's real-database part, on the implementation chosen. */
async function realDbCommand(lab: LabEntry, args: ParsedArgs): Promise<number> {
  const part = realDbPartOf(lab);
  if (part === null) throw new BadInput(`lab ${lab.id} has no real-database part (labs 03 and 04 have one)`);
  const unused = ["part", "seed", "seeds", "workers"].filter((name) => args.strings.has(name));
  const unusedFlags = ["json", "no-shrink"].filter((name) => args.flags.has(name));
  const extra = [...unused, ...unusedFlags].map((name) => `--${name}`);
  if (extra.length > 0)
    throw new BadInput(`--real-db runs fixed scenarios in real time: leave out ${extra.join(" and ")}`);
  const choice = implChoice(lab, args);
  checkImplFiles(lab, choice);
  const impl = await loadImpl(lab, choice);
  let report: { lines: string[]; passed: boolean };
  try {
    report = await (await part()).run(impl, choice);
  } catch (error) {
    // A DATABASE_URL or REDIS_URL that does not answer: the user's to fix, said in one line.
    if (error instanceof ServerUnreachable) throw new BadInput(error.message);
    throw error;
  }
  const { lines, passed } = report;
  console.log(lines.join("\n"));
  return passed ? 0 : 1;
}

/** The learner's fresh results, as `lab status` keeps them. */
function savedParts(
  result: GradeResult,
  seedsOf: (part: Part<unknown>) => number[],
  hashesBefore: ReadonlyMap<string, Record<string, string>>,
  gradedAt: string,
): Map<string, SavedPart> {
  const fresh = new Map<string, SavedPart>();
  for (const { part, outcome } of result.parts) {
    const failure = outcome.failure;
    fresh.set(part.id, {
      passed: failure === null,
      firstSeed: seedsOf(part)[0] ?? 1,
      seedsRun: outcome.seedsRun,
      gradedAt,
      ...(failure === null
        ? {}
        : { failedSeed: failure.seed, verdict: failure.verdict.kind, message: headline(failure.verdict) }),
      fileHashes: hashesBefore.get(part.id) ?? {},
    });
  }
  return fresh;
}

async function replayCommand(args: ParsedArgs, argv: readonly string[]): Promise<number> {
  const lab = await findLab(args.positionals[0] as string);
  const choice = implChoice(lab, args);
  const wanted = args.strings.get("part");
  if (wanted === undefined || wanted.length !== 1) throw new BadInput("replay needs exactly one --part ID");
  const [part] = selectParts(lab, wanted) as [Part<unknown>];
  const seedText = args.strings.get("seed")?.[0];
  if (seedText === undefined) throw new BadInput("replay needs --seed S (the seed the failure report printed)");
  const seed = parseWhole(seedText, "--seed", 0, SEED_MAX);
  const replayPath = args.strings.get("path")?.[0] ?? "0";
  const problem = replayPathProblem(part, seed, replayPath);
  if (problem !== null) throw new BadInput(problem);
  checkImplFiles(lab, choice);

  const pool = new GradingPool(lab, choice, { workers: 1 });
  let replay: Awaited<ReturnType<GradingPool["replay"]>>;
  try {
    replay = await pool.replay(part.id, seed, replayPath, args.flags.has("html"));
  } finally {
    await pool.close();
  }
  const runName = `${part.id} seed ${seed}${replayPath === "0" ? "" : ` path ${replayPath}`}`;
  const out = args.strings.get("out")?.[0];
  const outFile =
    out === undefined
      ? path.join(REPO_ROOT, ".lab", "replays", replayFileName(lab.id, part.id, seed, replayPath, choice.flag))
      : path.resolve(out);
  const verdictLines = [headline(replay.verdict), ...details(replay.verdict).map((d) => `  ${d}`)];
  const scenarioLines = replay.kind === "replayed" ? replay.scenarioLines : [];
  // A run the watchdog stopped left only what its flight recorder kept: the last lines.
  const extent =
    replay.kind === "replayed"
      ? `${plural(replay.events, "event")}, ${replay.simMs.toFixed(3)} ms of simulated time.`
      : `the watchdog stopped the run; these are the last ${plural(replay.trace.length, "line")} it recorded.`;
  const header = [
    `# npx lab replay ${argv.join(" ")}`,
    `# lab ${lab.id}, part ${part.id} (${part.title}), seed ${seed}, path ${replayPath}, implementation ${choice.label}/`,
    `# verdict: ${verdictLines.join("\n#   ")}`,
    ...(scenarioLines.length === 0 ? [] : ["# scenario:", ...scenarioLines.map((line) => `#   ${line}`)]),
    `# ${extent} Each line: time, node, what happened.`,
    "# Lines starting with { are your code's own log lines (env.log), with simMs and node.",
    "",
  ];
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${[...header, ...replay.trace].join("\n")}\n`);
  if (replay.verdict.kind === "pass") {
    // Said plainly: a replay exists to show a failure, and this run has none to show.
    console.log(
      `${runName}: this run passes, so it reproduces no failure (${choice.label}/ as it is now). ` +
        "If you fixed the bug since the report, that is why; otherwise check the command against the report.",
    );
  } else {
    console.log(`${runName}: ${verdictLines.join("\n")}`);
  }
  for (const line of scenarioLines) console.log(`  ${line}`);
  const what = replay.kind === "replayed" ? "Full trace" : "The last lines of the trace";
  console.log(`${what} (${plural(replay.trace.length, "line")}) written to ${relative(outFile)}`);
  if (args.flags.has("html")) {
    if (replay.kind === "replayed" && replay.picture !== undefined) {
      const htmlFile = `${outFile.replace(/\.(log|txt)$/, "")}.html`;
      const title = `Lab ${lab.id}, ${part.id} (${part.title}), seed ${seed}: ${headline(replay.verdict)}`;
      const command = `npx lab ${argv.join(" ")}`;
      writeFileSync(
        htmlFile,
        renderHtml(replay.picture, { title, verdict: verdictLines, scenario: scenarioLines, replayCommand: command }),
      );
      console.log(`Space-time diagram written to ${relative(htmlFile)} (open it in a browser; it needs no network)`);
    } else {
      console.log("No diagram: the watchdog stopped this run, so only its last trace lines exist.");
    }
  }
  return replay.verdict.kind === "pass" ? 0 : 1;
}
