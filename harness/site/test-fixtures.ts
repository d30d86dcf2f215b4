/**
 * For the site's tests: results as `lab grade` saves them for lab 00, with part L0.A passed on its
 * default seeds and L0.C failing at seed 7, both for the learner's files as they are now (so
 * neither is stale). Written under `dir`, never into the repository's .lab/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { findLab } from "../grade/labs.ts";
import { filesOfPart, hashesOf, type SavedResult } from "../grade/results.ts";

export async function savedResultsFixture(
  dir: string,
  message: string,
): Promise<{ resultsDir: string; replaysDir: string }> {
  const lab = await findLab("00");
  const learner = path.join(lab.dir, lab.manifest.learnerDir);
  const [a, , c] = lab.manifest.parts;
  if (a === undefined || c === undefined) throw new Error("lab 00 has parts A and C");
  const gradedAt = "2026-12-01T10:00:00.000Z";
  const saved: SavedResult = {
    version: 2,
    parts: {
      [a.id]: {
        passed: true,
        firstSeed: 1,
        seedsRun: a.seeds,
        gradedAt,
        fileHashes: hashesOf(learner, filesOfPart(lab, a.id, learner)),
      },
      [c.id]: {
        passed: false,
        firstSeed: 1,
        seedsRun: 7,
        gradedAt,
        failedSeed: 7,
        verdict: "invariant",
        message,
        fileHashes: hashesOf(learner, filesOfPart(lab, c.id, learner)),
      },
    },
  };
  const resultsDir = path.join(dir, "results");
  const replaysDir = path.join(dir, "replays");
  mkdirSync(resultsDir, { recursive: true });
  mkdirSync(replaysDir, { recursive: true });
  writeFileSync(path.join(resultsDir, `${lab.slug}.json`), JSON.stringify(saved));
  return { resultsDir, replaysDir };
}
