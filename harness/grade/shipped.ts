/**
 * The stubs as the project ships them, for the project's own tests.
 *
 * A lab's `src/` folder is the learner's: the moment they start, it holds their work, not the
 * stubs. The project's checks of its stubs ("the untouched stubs earn 'not implemented'") must
 * never grade that work, or a learner who does the labs sees the project's tests fail for it. So
 * they read the stubs from git, the one copy a learner's edits do not reach: the commit `HEAD`, or
 * `LAB_STUBS_REF` when set (a course whose students commit their work to a fork sets it to the
 * upstream commit, e.g. `LAB_STUBS_REF=upstream/main`). Outside a git checkout (an unpacked
 * archive) the working tree is the only copy there is, and it is used as it stands.
 *
 * The copy is written under `.lab/tmp/` (inside the repository, so that the stubs' package imports
 * such as `#lab` resolve as they do in `src/`), in a folder of its own per call: test files run in
 * parallel.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type LabEntry, REPO_ROOT } from "./labs.ts";

/** The git revision the stubs are read from. */
export function stubsRef(): string {
  return process.env.LAB_STUBS_REF ?? "HEAD";
}

/**
 * Writes the lab's learner folder as committed at `stubsRef()` into a fresh folder and returns
 * it; the caller removes it. Outside a git checkout, returns the learner folder itself.
 */
export function shippedStubs(lab: LabEntry): string {
  const learnerDir = path.join(lab.dir, lab.manifest.learnerDir);
  const relDir = path.relative(REPO_ROOT, learnerDir).split(path.sep).join("/");
  const ref = stubsRef();
  const files = gitFiles(ref, relDir);
  if (files === null) return learnerDir;
  if (files.length === 0) throw new Error(`git has no files under ${relDir} at ${ref}`);
  const scratch = path.join(REPO_ROOT, ".lab", "tmp");
  mkdirSync(scratch, { recursive: true });
  const out = mkdtempSync(path.join(scratch, `stubs-${lab.slug}-`));
  for (const file of files) {
    const target = path.join(out, path.relative(relDir, file));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, git(["show", `${ref}:${file}`]));
  }
  return out;
}

/** The files under `relDir` at `ref`, or null when this is not a git checkout. */
function gitFiles(ref: string, relDir: string): string[] | null {
  try {
    git(["rev-parse", "--git-dir"]);
  } catch {
    return null;
  }
  return git(["ls-tree", "-r", "--name-only", ref, "--", relDir])
    .toString("utf8")
    .split("\n")
    .filter((line) => line !== "");
}

function git(args: string[]): Buffer {
  return execFileSync("git", args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
}
