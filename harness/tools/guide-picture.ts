/**
 * `npx tsx harness/tools/guide-picture.ts LAB ENTRY OUT.png [PART]`: the picture of a real failure
 * for a lab's guide, made by the tools a learner uses, never drawn by hand. It grades the bug-zoo
 * entry (its first failing part, or PART) as `npx lab grade` does, replays the failure with
 * `--html`, and photographs the page in headless Chromium (Debian's `chromium`, or CHROMIUM_PATH).
 * Rerun it whenever the grader or the entry changes; the guide says which command made it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { main } from "../cli.ts";
import { gradeInProcess } from "../grade/in-process.ts";

const [labId, entry, outPng, wantedPart] = process.argv.slice(2);
if (labId === undefined || entry === undefined || outPng === undefined) {
  console.error("usage: npx tsx harness/tools/guide-picture.ts LAB ENTRY OUT.png [PART]");
  process.exit(2);
}

const { lab, outcomes } = await gradeInProcess(labId, path.join("bugs", entry), {
  shrink: true,
  // "C" or "L0.C", as `lab grade --part` takes it.
  ...(wantedPart === undefined
    ? {}
    : { parts: [wantedPart.includes(".") ? wantedPart : `L${Number(labId)}.${wantedPart}`] }),
});
const failed = [...outcomes.entries()].find(([, outcome]) => outcome.failure !== null);
if (failed === undefined || failed[1].failure === null) {
  console.error(`guide-picture: ${entry} passes every part graded; nothing to draw`);
  process.exit(1);
}
const [partId, { failure }] = failed;
const dir = mkdtempSync(path.join(os.tmpdir(), "guide-picture-"));
const replay = [
  "replay",
  lab.id,
  "--part",
  partId,
  "--seed",
  String(failure.seed),
  "--path",
  failure.path,
  "--impl",
  path.relative(process.cwd(), path.join(lab.dir, "bugs", entry)),
  "--out",
  path.join(dir, "run.log"),
  "--html",
];
await main(replay);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1750, height: 1100 } });
  await page.goto(pathToFileURL(path.join(dir, "run.html")).href);
  // Show the moment the verdict is about: the first flagged operation, in the middle of the view.
  await page
    .locator("g.op.flagged")
    .first()
    .evaluate((element) => element.scrollIntoView({ block: "center" }));
  await page.screenshot({ path: path.resolve(outPng) });
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `${outPng}: ${partId} seed ${failure.seed} of ${entry}, from npx lab ${replay.slice(0, 10).join(" ")} --html`,
);
