/**
 * `npm run mutate -- NN [FILE]`: the grader's mutation score, with StrykerJS.
 *
 * The grader is the product, and a mutation score measures it: Stryker makes small changes
 * (mutants) to a lab's reference solution, one at a time, and grades each mutated solution. A mutant
 * is killed when some part fails on some seed; a survivor is a change the default grade cannot
 * see. A survivor is either equivalent (no client and no disk could ever tell it from the solution;
 * list it in `labs/NN-name/mutants.md`) or a gap in the grader.
 *
 * How it works, and why each piece is the way it is:
 * - Stryker copies the project into a sandbox (`.mutate/tmp-NN-name/sandbox-*`, node_modules linked) and
 *   instruments the files to mutate there: every mutant is compiled in, switched on at run time.
 *   The grader finds labs through REPO_ROOT, computed from its own file's location, and the labs
 *   import `#lab` and `#labs/*` through package.json "imports": inside the sandbox both resolve to
 *   the sandbox's copies, so the grader grades the instrumented solution with no extra glue.
 * - The test is mutate.grade.ts, run by Stryker's Vitest runner with mutate.vitest.config.ts: one
 *   Vitest test per part, grading in process (gradeInProcess, no worker threads), so Stryker's
 *   per-test coverage sees which parts run which code, and runs only those parts for a mutant.
 * - Kills are fast: no shrinking, gradePart stops at the first failing seed, and Stryker stops at
 *   the first failing part. A survivor costs a full grade of its covering parts at default depth.
 * - The determinism guard treats files under labs/ as lab code. Stryker's instrumentation only
 *   adds plain functions and a global counter object; it calls no clock, timer or randomness, so
 *   the guard never sees it.
 * - Timeouts. Stryker stops a mutant after the unmutated parts' time times `--timeout-factor`
 *   plus TIMEOUT_EXTRA_MS, and counts it as killed. The factor is 10 by default, not Stryker's
 *   1.5, because a timeout is a poor verdict here: a mutant that makes every seed slower but still
 *   passes (say, one that never lets go of a queue and waits for its lease instead) times out on a
 *   busy machine at a small factor, and is counted as killed when it is a survivor. (On lab 02,
 *   factor 3 timed out mutants identical in effect to survivors.) A mutant that spins in the
 *   simulation needs no timeout at all: the simulation stops at its event limit and the grader says
 *   "stuck" or "livelock", a real kill. Only a loop that never yields needs Stryker's timeout (the
 *   CLI's watchdog would call it "loop never yielded"). Vitest's own timeout is off, for the same
 *   reason. Look again at a suspect timeout alone with `FILE:LINE --timeout-factor 30`.
 * - Reports (HTML, JSON) go to `.mutate/NN-name/`, which git ignores. Equivalent mutants listed
 *   in the lab's `mutants.md` are matched by file, mutator, original code and replacement (not
 *   by line, which drifts), and the summary gives the score over the others too.
 * - It is a benchmark of the grader, not part of `npm test`: a full lab takes minutes to hours.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Stryker } from "@stryker-mutator/core";
import { BadInput, labSlugs, REPO_ROOT } from "../grade/labs.ts";

type StrykerOptions = ConstructorParameters<typeof Stryker>[0];
type MutantResult = Awaited<ReturnType<Stryker["runMutationTest"]>>[number];

const USAGE = "usage: npm run mutate -- NN [FILE[:LINE[-LINE]]] [--concurrency N] [--timeout-factor F]";
/** Everything the tool writes: reports per lab, and Stryker's sandboxes while it runs. */
const OUT_DIR = ".mutate";
const TIMEOUT_FACTOR_DEFAULT = 10;
const TIMEOUT_FACTOR_MAX = 100;
const TIMEOUT_EXTRA_MS = 60_000;
const CONCURRENCY_MAX = 8;

/** What to mutate, decided from the command line before anything heavy loads. */
export interface MutatePlan {
  /** "00-durable-register" */
  slug: string;
  /** The lab's solution folder, relative to the repository root. */
  solutionDir: string;
  /** Files to mutate, relative to the repository root. */
  files: string[];
  /** Only the mutants on these lines (of the one file), to look at a few again. */
  lines: { from: number; to: number } | null;
  concurrency: number;
  /** A mutant times out after the unmutated parts' time times this, plus TIMEOUT_EXTRA_MS. */
  timeoutFactor: number;
}

/** Reads the arguments; throws BadInput (one line) for anything wrong. */
export function parseMutateArgs(args: string[]): MutatePlan {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (error) {
    throw new BadInput(`${optionProblem(error)}; ${USAGE}`);
  }
  const [labQuery, file, ...extra] = parsed.positionals;
  if (labQuery === undefined) throw new BadInput(`which lab? ${USAGE}`);
  if (extra.length > 0) throw new BadInput(`one FILE at most (got ${[file, ...extra].join(", ")}); ${USAGE}`);
  const slug = labSlugOf(labQuery);
  const solutionDir = path.join("labs", slug, "solution");
  const range = file === undefined ? null : splitRange(file);
  return {
    slug,
    solutionDir,
    files: range === null ? solutionFiles(solutionDir) : [solutionFile(solutionDir, range.file)],
    lines: range?.lines ?? null,
    concurrency: concurrencyOf(parsed.values.concurrency),
    timeoutFactor: timeoutFactorOf(parsed.values["timeout-factor"]),
  };
}

/**
 * The lab's folder name, by number or name, as `findLab` reads it (same rule, same message), but
 * without loading the lab: a mistyped command answers at once.
 */
function labSlugOf(query: string): string {
  const slugs = labSlugs();
  const q = query.trim().toLowerCase();
  const match = slugs.find(
    (slug) => slug === q || slug.slice(3) === q || (/^\d+$/.test(q) && Number(slug.slice(0, 2)) === Number(q)),
  );
  if (match === undefined) {
    const known = slugs.map((slug) => slug.slice(0, 2)).join(", ") || "none";
    throw new BadInput(`unknown lab '${query}': the labs are ${known} (see \`npx lab list\`)`);
  }
  return match;
}

/** Node's own parseArgs messages run long and quote oddly; say it in a few words instead. */
function optionProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const option = /'(-[^' ]*)/.exec(error instanceof Error ? error.message : "")?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${option}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") return `option ${option} needs a value`;
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "bad arguments";
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { concurrency: { type: "string" }, "timeout-factor": { type: "string" } },
  });
}

/** The solution's TypeScript files (not its tests, if it ever has any). */
function solutionFiles(solutionDir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, solutionDir))
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
    .sort()
    .map((name) => path.join(solutionDir, name));
}

/** FILE as given: a name in the solution folder, or a path (from here) to a file in it. */
function solutionFile(solutionDir: string, file: string): string {
  const absoluteDir = path.join(REPO_ROOT, solutionDir);
  const candidates = [path.resolve(file), path.resolve(absoluteDir, file)];
  const found = candidates.find(
    (candidate) =>
      path.dirname(candidate) === absoluteDir &&
      existsSync(candidate) &&
      statSync(candidate).isFile() &&
      solutionFiles(solutionDir).includes(path.relative(REPO_ROOT, candidate)),
  );
  if (found === undefined) {
    const names = solutionFiles(solutionDir).map((name) => path.basename(name));
    throw new BadInput(`'${file}' is not a file of ${solutionDir}/: its files are ${names.join(", ")}`);
  }
  return path.relative(REPO_ROOT, found);
}

/** "record.ts:40-52" -> the file and lines 40 to 52; "record.ts:40" -> line 40 only. */
function splitRange(arg: string): { file: string; lines: { from: number; to: number } | null } {
  const m = /^(.*):(\d+)(?:-(\d+))?$/.exec(arg);
  if (m === null) return { file: arg, lines: null };
  const [, file = "", from = "", to = from] = m;
  if (Number(from) < 1 || Number(to) < Number(from))
    throw new BadInput(`'${arg}': lines run from 1 up, first line first (FILE:LINE or FILE:FROM-TO)`);
  return { file, lines: { from: Number(from), to: Number(to) } };
}

function timeoutFactorOf(raw: string | undefined): number {
  if (raw === undefined) return TIMEOUT_FACTOR_DEFAULT;
  const f = Number(raw);
  if (!Number.isFinite(f) || f < 1 || f > TIMEOUT_FACTOR_MAX)
    throw new BadInput(`--timeout-factor ${raw}: a number from 1 to ${TIMEOUT_FACTOR_MAX}`);
  return f;
}

function concurrencyOf(raw: string | undefined): number {
  if (raw === undefined) return Math.min(2, os.availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > CONCURRENCY_MAX)
    throw new BadInput(`--concurrency ${raw}: a whole number from 1 to ${CONCURRENCY_MAX}`);
  return n;
}

/** Stryker's options for a plan: every setting the tool uses, in one place. */
export function strykerOptions(plan: MutatePlan): StrykerOptions {
  const reportDir = path.join(OUT_DIR, plan.slug);
  return {
    testRunner: "vitest",
    plugins: ["@stryker-mutator/vitest-runner"],
    // `related: false`: the grading test reaches the solution through a computed path, not an
    // import Vitest could follow, so "related test files" would find none.
    vitest: { configFile: "harness/tools/mutate.vitest.config.ts", related: false },
    mutate: plan.lines === null ? plan.files : plan.files.map((f) => `${f}:${plan.lines?.from}-${plan.lines?.to}`),
    coverageAnalysis: "perTest",
    concurrency: plan.concurrency,
    timeoutFactor: plan.timeoutFactor,
    timeoutMS: TIMEOUT_EXTRA_MS,
    dryRunTimeoutMinutes: 30,
    // One sandbox folder per lab: two labs' runs at once must not share (one run's start or end
    // clears the folder under the other, which then dies mid-run).
    tempDirName: path.join(OUT_DIR, `tmp-${plan.slug}`),
    // Nothing the grade needs: earlier reports, the learner's results, other worktrees' leftovers.
    ignorePatterns: [`/${OUT_DIR}`, "/.lab", "/.stryker-tmp", "/reports"],
    // The project type-checks with its own compiler; mutants that would not type-check still run.
    checkers: [],
    // Stryker rewrites tsconfig.json's `extends` and `references` for the sandbox through the
    // TypeScript compiler API, which TypeScript 7 (native) no longer has. Ours has neither, so
    // point Stryker at a file that does not exist and the sandbox keeps tsconfig.json as it is.
    tsconfigFile: path.join(OUT_DIR, "no-tsconfig-rewrite.json"),
    reporters: ["clear-text", "html", "json", process.stdout.isTTY ? "progress" : "progress-append-only"],
    clearTextReporter: { reportTests: false, reportMutants: true, reportScoreTable: true },
    htmlReporter: { fileName: path.join(reportDir, "report.html") },
    jsonReporter: { fileName: path.join(reportDir, "report.json") },
    thresholds: { high: 100, low: 90, break: null },
  };
}

/** One line per survivor, in the format of `labs/NN-name/mutants.md` (add the reason). */
export interface Survivor {
  file: string;
  line: number;
  mutator: string;
  original: string;
  replacement: string;
  status: string;
}

const SNIPPET_CHARS_MAX = 70;

/** Code on one line, whitespace collapsed, shortened: stable across reformatting of line breaks. */
function snippet(code: string): string {
  const flat = code.replace(/\s+/g, " ").trim();
  return flat.length > SNIPPET_CHARS_MAX ? `${flat.slice(0, SNIPPET_CHARS_MAX - 1)}…` : flat;
}

function originalCode(source: string, result: MutantResult): string {
  const lines = source.split("\n");
  const { start, end } = result.location;
  // Stryker's report counts lines and columns from 1; the end column is the first one past it.
  const picked = lines.slice(start.line - 1, end.line);
  if (picked.length === 0) return "";
  picked[picked.length - 1] = (picked[picked.length - 1] ?? "").slice(0, end.column - 1);
  picked[0] = (picked[0] ?? "").slice(start.column - 1);
  return picked.join("\n");
}

/** The mutants with one of `statuses`, described as mutants.md lists them, in file and line order. */
export function mutantsOf(
  results: readonly MutantResult[],
  sources: Map<string, string>,
  statuses: readonly string[] = ["Survived", "NoCoverage"],
): Survivor[] {
  return results
    .filter((r) => statuses.includes(r.status))
    .map((r) => ({
      file: path.basename(r.fileName),
      line: r.location.start.line,
      mutator: r.mutatorName,
      original: snippet(originalCode(sources.get(r.fileName) ?? "", r)),
      replacement: snippet(r.replacement ?? ""),
      status: r.status,
    }))
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

export function formatSurvivor(s: Survivor): string {
  const coverage = s.status === "NoCoverage" ? " (no part runs this code)" : "";
  return `- \`${s.file}:${s.line}\` ${s.mutator}: ${codeSpan(s.original)} -> ${codeSpan(s.replacement)}${coverage}`;
}

/** Markdown inline code for any text: a fence longer than any run of backticks in it. */
export function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Reads a code span at the start of `text`: its content and what follows it. */
function readCodeSpan(text: string): { code: string; rest: string } | null {
  const m = /^(`+)(.*?)(?<!`)\1(?!`)/.exec(text);
  if (m === null) return null;
  const [whole, , raw = ""] = m;
  const code = raw.length > 1 && raw.startsWith(" ") && raw.endsWith(" ") ? raw.slice(1, -1) : raw;
  return { code, rest: text.slice(whole.length) };
}

const LISTED = /^- `([^`:]+):(\d+)` (\w+): /;

/** The equivalent mutants a lab's mutants.md lists, as survivors (without status). */
export function listedEquivalents(markdown: string): Survivor[] {
  const listed: Survivor[] = [];
  for (const line of markdown.split("\n")) {
    const m = LISTED.exec(line);
    const original = m === null ? null : readCodeSpan(line.slice(m[0].length));
    if (m === null || original === null || !original.rest.startsWith(" -> ")) continue;
    const replacement = readCodeSpan(original.rest.slice(" -> ".length));
    if (replacement === null) continue;
    const [, file = "", lineNo = "0", mutator = ""] = m;
    listed.push({
      file,
      line: Number(lineNo),
      mutator,
      original: original.code,
      replacement: replacement.code,
      status: "listed",
    });
  }
  return listed;
}

/**
 * Splits survivors into those mutants.md lists as equivalent and the rest. An entry matches a
 * survivor with the same file, mutator, original code and replacement; the same mutation can occur
 * on several lines, so the closest pairs (by line) are matched first, and each entry matches once.
 */
export function triage(survivors: readonly Survivor[], listed: readonly Survivor[]) {
  const same = (a: Survivor, b: Survivor) =>
    a.file === b.file && a.mutator === b.mutator && a.original === b.original && a.replacement === b.replacement;
  const pairs: Array<{ s: number; e: number; distance: number }> = [];
  for (const [si, s] of survivors.entries())
    for (const [ei, e] of listed.entries())
      if (same(s, e)) pairs.push({ s: si, e: ei, distance: Math.abs(s.line - e.line) });
  pairs.sort((a, b) => a.distance - b.distance || a.s - b.s || a.e - b.e);
  const matchedSurvivors = new Set<number>();
  const usedEntries = new Set<number>();
  for (const { s, e } of pairs) {
    if (matchedSurvivors.has(s) || usedEntries.has(e)) continue;
    matchedSurvivors.add(s);
    usedEntries.add(e);
  }
  return {
    equivalent: survivors.filter((_, i) => matchedSurvivors.has(i)),
    unexplained: survivors.filter((_, i) => !matchedSurvivors.has(i)),
    stale: listed.filter((_, i) => !usedEntries.has(i)),
  };
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "n/a" : `${((100 * part) / whole).toFixed(1)}%`;
}

/** The closing summary: counts, both scores, and what still needs a verdict. */
export function summarize(plan: MutatePlan, results: readonly MutantResult[], seconds: number): string[] {
  const count = (...statuses: string[]) => results.filter((r) => statuses.includes(r.status)).length;
  const killed = count("Killed");
  const timeouts = count("Timeout");
  const valid = killed + timeouts + count("Survived", "NoCoverage");
  const sources = new Map(
    plan.files.map((f) => [path.join(REPO_ROOT, f), readFileSync(path.join(REPO_ROOT, f), "utf8")]),
  );
  // Stryker names files by their absolute path in the project, not in the sandbox.
  for (const r of results) if (!sources.has(r.fileName)) sources.set(r.fileName, safeRead(r.fileName));
  const mutantsMd = path.join(REPO_ROOT, path.dirname(plan.solutionDir), "mutants.md");
  const listed = existsSync(mutantsMd) ? listedEquivalents(readFileSync(mutantsMd, "utf8")) : [];
  const mutated = new Set(plan.files.map((f) => path.basename(f)));
  const { equivalent, unexplained, stale } = triage(
    mutantsOf(results, sources),
    listed.filter((e) => mutated.has(e.file)),
  );
  const range = plan.lines === null ? "" : `:${plan.lines.from}-${plan.lines.to}`;
  const where =
    plan.files.length === 1 ? `${plan.files[0]}${range}` : `${plan.solutionDir}/ (${plan.files.length} files)`;
  const lines = [
    "",
    `mutate ${plan.slug}: ${where}, ${results.length} mutants in ${formatDuration(seconds)}`,
    `  killed ${killed + timeouts} (${timeouts} by timeout), survived ${valid - killed - timeouts} ` +
      `(${equivalent.length} listed as equivalent in ${path.relative(REPO_ROOT, mutantsMd)}), ` +
      `not valid ${results.length - valid} (compile or runtime errors)`,
    `  mutation score ${percent(killed + timeouts, valid)}; ` +
      `of the non-equivalent mutants ${percent(killed + timeouts, valid - equivalent.length)} killed`,
    `  reports: ${path.join(OUT_DIR, plan.slug)}/report.html, report.json`,
  ];
  if (unexplained.length > 0) {
    lines.push("  survivors not listed as equivalent (a gap in the grader, or list them with a reason):");
    for (const s of unexplained) lines.push(`  ${formatSurvivor(s)}`);
  }
  if (stale.length > 0) {
    lines.push(`  listed in mutants.md but not among this run's survivors (killed now, or the code moved):`);
    for (const s of stale) lines.push(`  ${formatSurvivor(s)}`);
  }
  if (timeouts > 0) {
    lines.push(
      "  killed by timeout (a hang, which the grader reports as stuck, or only a slower grade: look again at a",
      "  suspect one alone with FILE:LINE --timeout-factor 30):",
    );
    for (const s of mutantsOf(results, sources, ["Timeout"])) lines.push(`  ${formatSurvivor(s)}`);
  }
  return lines;
}

function safeRead(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}

/** Runs Stryker on a plan and prints the summary; returns the exit code. */
async function runStryker(plan: MutatePlan): Promise<number> {
  // Stryker works in the current folder: the repository root, wherever npm was started from.
  process.chdir(REPO_ROOT);
  // The grading test reads the lab from here; Stryker's workers inherit the environment.
  process.env.MQ_MUTATE_LAB = plan.slug;
  // Loaded only now, so that a mistyped command answers at once.
  const { Stryker } = await import("@stryker-mutator/core");
  const started = performance.now();
  try {
    const results = await new Stryker(strykerOptions(plan)).runMutationTest();
    for (const line of summarize(plan, results, (performance.now() - started) / 1000)) console.log(line);
    return 0;
  } catch (error) {
    console.error(`mutate: Stryker failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/**
 * The command: exit 0 when Stryker ran (whatever the score), 1 when it failed, 2 on bad input
 * (one line, and Stryker never starts). `run` is replaceable for the tests.
 */
export async function main(args: string[], run: (plan: MutatePlan) => Promise<number> = runStryker): Promise<number> {
  let plan: MutatePlan;
  try {
    plan = parseMutateArgs(args);
  } catch (error) {
    if (!(error instanceof BadInput)) throw error;
    console.error(`mutate: ${error.message}`);
    return 2;
  }
  return run(plan);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
