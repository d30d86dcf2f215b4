/**
 * The stubs as shipped have the types the solution has, and the project's type check leaves the
 * learner's folders alone (see stub-types.ts).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findLab, type LabEntry, labSlugs, REPO_ROOT } from "./labs.ts";
import { shippedStubs, stubsRef } from "./shipped.ts";
import { checkStubTypes, tscBin } from "./stub-types.ts";

function learnerDirOf(lab: LabEntry): string {
  return path.join(lab.dir, lab.manifest.learnerDir);
}

/** The stubs as shipped, with a label for messages; says so when there is no git to read them from. */
function shipped(lab: LabEntry): { dir: string; label: string; copy: boolean; note: string } {
  const learnerDir = learnerDirOf(lab);
  const rel = path.relative(REPO_ROOT, learnerDir);
  const dir = shippedStubs(lab);
  if (dir !== learnerDir) return { dir, label: `${rel} (as committed at ${stubsRef()})`, copy: true, note: "" };
  const note = `lab ${lab.id}: not a git checkout, so the stubs cannot be read as shipped; checked ${rel} as it stands (if you have edited it, this checked your work: run the tests from a git clone)`;
  console.warn(note);
  return { dir, label: rel, copy: false, note: `${note}\n\n` };
}

describe("the stubs as shipped have the solution's types (each lab's stub-types.ts)", () => {
  for (const slug of labSlugs()) {
    it(`lab ${slug}`, async () => {
      const lab = await findLab(slug);
      const stubs = shipped(lab);
      try {
        const result = checkStubTypes(lab, stubs.dir, stubs.label);
        expect(result.ok, `${stubs.note}${result.output}`).toBe(true);
      } finally {
        if (stubs.copy) rmSync(stubs.dir, { recursive: true, force: true });
      }
    });
  }

  it("a stub whose signature differs from the solution's fails the check, with the compiler's words", async () => {
    const lab = await findLab("00");
    const stubs = shipped(lab);
    // Always a scratch copy: never write into a learner's folder.
    mkdirSync(path.join(REPO_ROOT, ".lab", "tmp"), { recursive: true });
    const scratch = mkdtempSync(path.join(REPO_ROOT, ".lab", "tmp", "stub-types-changed-"));
    try {
      cpSync(stubs.dir, scratch, { recursive: true });
      const file = path.join(scratch, "register.ts");
      const before = readFileSync(file, "utf8");
      const signature = "openRegister(env: Env): Promise<Register>";
      expect(before, "the stub's signature, as this test expects to find it").toContain(signature);
      writeFileSync(file, before.replace(signature, "openRegister(env: Env, retries: number): Promise<Register>"));
      const result = checkStubTypes(lab, scratch, "changed copy");
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/\(generated check\)\/check\.ts\(\d+,\d+\): error TS/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      if (stubs.copy) rmSync(stubs.dir, { recursive: true, force: true });
    }
  });
});

describe("the project's type check (npm run typecheck)", () => {
  /** The files a tsconfig makes the compiler read, imports included. */
  function filesOf(config: string): string[] {
    const run = spawnSync(process.execPath, [tscBin(), "--listFilesOnly", "-p", config], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 300_000,
    });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    return run.stdout.split("\n").filter((line) => line !== "");
  }

  it("reads no learner file, while the editor's tsconfig.json reads them all", async () => {
    const script = (
      JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
      }
    ).scripts.typecheck;
    expect(script).toBe("tsc --noEmit -p tsconfig.check.json");
    const learnerDirs = await Promise.all(labSlugs().map(async (slug) => learnerDirOf(await findLab(slug))));
    const inLearnerDir = (file: string) =>
      learnerDirs.some((dir) => !path.relative(dir, path.resolve(REPO_ROOT, file)).startsWith(".."));
    // A test that imports a learner file, even for its type only, brings it back: none may.
    expect(filesOf("tsconfig.check.json").filter(inLearnerDir)).toEqual([]);
    const editor = filesOf("tsconfig.json").filter(inLearnerDir);
    for (const dir of learnerDirs)
      expect(editor.some((file) => path.resolve(REPO_ROOT, file).startsWith(dir))).toBe(true);
  });
});
