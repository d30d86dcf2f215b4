/**
 * Finding labs and the implementation to grade.
 *
 * A lab is a folder `labs/NN-name/` with a manifest `lab.ts`. The implementation under test is a
 * folder with the lab's learner files: the learner's own (the default), the reference solution
 * (`--solution`), or any folder (`--impl DIR`), such as a bug-zoo entry. Everything here that can
 * go wrong because of what the user typed throws `BadInput`, which the CLI prints as one line.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Implementation, LabManifest } from "./define.ts";
import { loadModuleGraph, type ModuleGraph, ModuleLoadError } from "./modules.ts";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const LABS_DIR = path.join(REPO_ROOT, "labs");

/** A mistake in what the user asked for: printed as one line, exit code 2. */
export class BadInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadInput";
  }
}

/** The learner's code could not even be loaded (a syntax error, a missing export). */
export class ImplLoadError extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = "ImplLoadError";
  }
}

export interface LabEntry {
  /** "00" */
  id: string;
  /** "00-durable-register" */
  slug: string;
  dir: string;
  manifest: LabManifest<unknown>;
}

/** The lab folders, in order, without loading them. */
export function labSlugs(): string[] {
  if (!existsSync(LABS_DIR)) return [];
  return readdirSync(LABS_DIR)
    .filter((name) => /^\d\d-/.test(name) && existsSync(path.join(LABS_DIR, name, "lab.ts")))
    .sort();
}

export async function loadLab(slug: string): Promise<LabEntry> {
  const dir = path.join(LABS_DIR, slug);
  const module = (await import(pathToFileURL(path.join(dir, "lab.ts")).href)) as { default: LabManifest<unknown> };
  return { id: module.default.id, slug, dir, manifest: module.default };
}

export async function listLabs(): Promise<LabEntry[]> {
  return Promise.all(labSlugs().map(loadLab));
}

/** Finds a lab by number ("00", "0") or by name ("durable-register", "00-durable-register"). */
/**
 * The lab `lab grade` grades when none is named: the first one not yet passed, else the first.
 * A lab under construction (its manifest says why) is never chosen: it cannot be graded yet.
 */
export function defaultLabOf<T extends { manifest: { underConstruction?: string } }>(
  labs: readonly T[],
  passed: (lab: T) => boolean,
): T | undefined {
  const ready = labs.filter((lab) => lab.manifest.underConstruction === undefined);
  return ready.find((lab) => !passed(lab)) ?? ready[0];
}

export async function findLab(query: string): Promise<LabEntry> {
  const slugs = labSlugs();
  const q = query.trim().toLowerCase();
  const match = slugs.find((slug) => {
    const [number] = slug.split("-");
    return slug === q || slug.slice(3) === q || (/^\d+$/.test(q) && Number(number) === Number(q));
  });
  if (match === undefined) {
    const known = slugs.map((s) => s.slice(0, 2)).join(", ") || "none";
    throw new BadInput(`unknown lab '${query}': the labs are ${known} (see \`npx lab list\`)`);
  }
  return loadLab(match);
}

export type ImplKind = "learner" | "solution" | "other";

export interface ImplChoice {
  kind: ImplKind;
  dir: string;
  /** How to name it in reports: "labs/00-durable-register/src". */
  label: string;
  /** The flag that selects it again, for replay commands: "", "--solution", "--impl DIR". */
  flag: string;
}

export function chooseImpl(lab: LabEntry, options: { solution?: boolean; impl?: string }): ImplChoice {
  if (options.solution && options.impl !== undefined)
    throw new BadInput("use either --solution or --impl DIR, not both");
  if (options.solution) {
    const dir = path.join(lab.dir, "solution");
    return { kind: "solution", dir, label: relative(dir), flag: "--solution" };
  }
  if (options.impl !== undefined) {
    const dir = path.resolve(options.impl);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BadInput(`--impl ${options.impl}: no such folder`);
    const rel = relative(dir);
    return { kind: "other", dir, label: rel, flag: `--impl ${rel.includes(" ") ? JSON.stringify(rel) : rel}` };
  }
  const dir = path.join(lab.dir, lab.manifest.learnerDir);
  return { kind: "learner", dir, label: relative(dir), flag: "" };
}

/**
 * A bug-zoo entry (a folder under the lab's bugs/) holds only the files it breaks; the rest come
 * from the reference solution. Every other implementation must hold every file.
 */
export function fallbackDirFor(lab: LabEntry, choice: ImplChoice): string | undefined {
  const bugs = path.join(lab.dir, "bugs") + path.sep;
  return choice.dir.startsWith(bugs) ? path.join(lab.dir, "solution") : undefined;
}

/** Checks that the folder has every file the lab needs (without loading any of them). */
export function checkImplFiles(lab: LabEntry, choice: ImplChoice): void {
  if (fallbackDirFor(lab, choice) !== undefined) return;
  for (const file of lab.manifest.files) {
    if (!existsSync(path.join(choice.dir, file))) {
      throw new BadInput(
        `${choice.label}/${file} is missing: an implementation of lab ${lab.id} needs ${lab.manifest.files.join(", ")}` +
          (choice.kind === "learner" ? ` (restore it with \`git checkout -- ${choice.label}/${file}\`)` : ""),
      );
    }
  }
}

/**
 * Checks the folder's files, loads them (see modules.ts: each node incarnation will get its own
 * copy), and checks the entry modules' exports on one copy.
 */
export async function loadImpl(lab: LabEntry, choice: ImplChoice): Promise<Implementation<unknown>> {
  checkImplFiles(lab, choice);
  const entries = entryFiles(lab);
  let graph: ModuleGraph;
  let shared: Record<string, unknown>;
  try {
    graph = await loadModuleGraph({
      dir: choice.dir,
      fallbackDir: fallbackDirFor(lab, choice),
      files: lab.manifest.files,
      entries,
    });
    shared = graph.instantiate();
  } catch (error) {
    if (error instanceof ModuleLoadError)
      throw new ImplLoadError(
        `${relative(error.file)} does not load: ${error.message.replace(`${error.file}`, relative(error.file))}`,
        error,
      );
    throw new ImplLoadError(`${choice.label} does not load: ${firstUsefulLine(error)}`, error);
  }
  const missing = lab.manifest.exports.filter((name) => typeof shared[name] !== "function");
  if (missing.length > 0) {
    const where = entries.length === 1 ? `${choice.label}/${entries[0]}` : `the files in ${choice.label}/`;
    throw new ImplLoadError(`${where} must export ${missing.map((m) => `function ${m}`).join(", ")}`, null);
  }
  return { shared, fresh: () => graph.instantiate(), moduleState: graph.moduleState };
}

/** The reference (`bug` null) or the zoo entry bugs/`bug`, loaded as a grade loads it: for tests. */
export function loadSolutionOrBug(lab: LabEntry, bug: string | null): Promise<Implementation<unknown>> {
  const options = bug === null ? { solution: true } : { impl: path.join(lab.dir, "bugs", bug) };
  return loadImpl(lab, chooseImpl(lab, options));
}

/** The lab's entry modules, as a list. */
export function entryFiles(lab: LabEntry): string[] {
  return Array.isArray(lab.manifest.entry) ? lab.manifest.entry : [lab.manifest.entry];
}

export function relative(target: string): string {
  const rel = path.relative(process.cwd(), target);
  return rel === "" ? "." : rel;
}

/** Folders whose code counts as lab code, guarded against real clocks and randomness. */
export function guardRootsFor(choice: ImplChoice): string[] {
  return [...new Set([LABS_DIR + path.sep, choice.dir + path.sep])];
}

/** A load error in one line. Transpilers put the useful part (what, and where) on later lines. */
function firstUsefulLine(error: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colour codes
  const text = (error instanceof Error ? error.message : String(error)).replace(/\x1b\[[0-9;]*m/g, "");
  const lines = text.split("\n").map((line) => line.trim().replace(`${process.cwd()}/`, ""));
  const what = lines.find((line) => /ERROR/.test(line) && line !== lines[0]) ?? lines[0] ?? text;
  const where = /([\w./-]+\.ts:\d+:\d+)/.exec(text.replace(`${process.cwd()}/`, ""))?.[1];
  return where !== undefined && !what.includes(where) ? `${where}: ${what}` : what;
}
