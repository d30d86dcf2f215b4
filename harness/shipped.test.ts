/**
 * The project's checks check what the project ships, and leave the learner's files to the learner:
 * a learner who has done every lab can run `npm test` and see it green.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findLab, labSlugs } from "./grade/labs.ts";
import { shippedStubs, stubsRef } from "./grade/shipped.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIOME = path.join(ROOT, "node_modules", ".bin", "biome");

describe("the stubs as shipped", () => {
  it("are read from git, file for file, never from the learner's src/", async () => {
    for (const slug of labSlugs()) {
      const lab = await findLab(slug);
      const stubs = shippedStubs(lab);
      try {
        expect(stubs).not.toBe(path.join(lab.dir, lab.manifest.learnerDir));
        const rel = path.relative(ROOT, path.join(lab.dir, lab.manifest.learnerDir));
        for (const file of readdirSync(stubs, { recursive: true, encoding: "utf8" })) {
          const committed = execFileSync("git", ["show", `${stubsRef()}:${rel}/${file}`], { cwd: ROOT });
          expect(readFileSync(path.join(stubs, file)).equals(committed), `${rel}/${file}`).toBe(true);
        }
        for (const file of lab.manifest.files) expect(readdirSync(stubs)).toContain(file);
      } finally {
        rmSync(stubs, { recursive: true, force: true });
      }
    }
  });
});

describe("Biome", () => {
  it("checks the project's code and leaves the learner's files alone", () => {
    const run = spawnSync(BIOME, ["check", "labs/00-durable-register/src"], { cwd: ROOT, encoding: "utf8" });
    expect(`${run.stdout}${run.stderr}`).toContain("These paths were provided but ignored");
  });

  it("the learner's format config (biome.learner.json) formats as the project's does", () => {
    type Config = { formatter: Record<string, unknown>; javascript: { formatter: Record<string, unknown> } };
    const read = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), "utf8")) as Config;
    const project = read("biome.json");
    const learner = read("biome.learner.json");
    expect(learner.formatter).toEqual(project.formatter);
    expect(learner.javascript.formatter).toEqual(project.javascript.formatter);
  });
});
