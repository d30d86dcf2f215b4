/**
 * The replay page in a real browser: headless Chromium (Debian's `chromium` package, driven by
 * playwright-core) opens a diagram of a real failure, the verdict and the flagged operation are on
 * the page, clicking a mark shows the learner's log lines, and zooming resizes the drawing. A
 * screenshot is kept in .lab/artifacts/ for a person to look at.
 *
 * Where no Chromium is installed (CI with only Node and `npm ci`), the test is skipped and says
 * how to get one: `apt-get install chromium`, or CHROMIUM_PATH for a browser elsewhere.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { main } from "../cli.ts";
import { REPO_ROOT } from "../grade/labs.ts";

const BROWSER = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FOUND = existsSync(BROWSER);
if (!FOUND) {
  console.warn(
    `harness/viz/browser.test.ts skipped: no Chromium at ${BROWSER} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

describe.skipIf(!FOUND)("the replay page in Chromium", () => {
  it("shows the verdict and the flagged operation, explains a mark on click, and zooms", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lab-html-"));
    const out = path.join(dir, "run.log");
    // Lab 00's register that renames before the data is on disk: L0.C, a lost write.
    const code = await main([
      "replay",
      "00",
      "--part",
      "L0.C",
      "--seed",
      "7",
      "--path",
      "0:0:0:0:0:0:0:1:1:1:1:0:0:0:0:0:1:1",
      "--impl",
      path.join(REPO_ROOT, "labs", "00-durable-register", "bugs", "no-fsync-before-rename"),
      "--out",
      out,
      "--html",
    ]);
    expect(code).toBe(1);
    const htmlFile = path.join(dir, "run.html");
    expect(readFileSync(htmlFile, "utf8")).toContain("lost write");

    const browser = await chromium.launch({ executablePath: BROWSER, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
      const fetched: string[] = [];
      page.on("request", (request) => {
        if (!request.url().startsWith("file:")) fetched.push(request.url());
      });
      await page.goto(pathToFileURL(htmlFile).href);
      await expect.poll(() => page.locator("pre.verdict").innerText()).toContain("invariant broken: lost write");
      const flagged = page.locator("g.op.flagged");
      expect(await flagged.count()).toBeGreaterThan(0);
      expect(await flagged.first().locator("text").textContent()).toMatch(/save\(|load\(/);

      // A click on the flagged operation opens the panel with its line and the learner's logs.
      await flagged.first().locator("rect").click({ force: true });
      const panel = page.locator("#panel");
      await expect.poll(() => panel.isVisible()).toBe(true);
      expect(await panel.innerText()).toMatch(/your code's last log lines up to [\d.]+ms:/);

      const before = Number(await page.locator("#wrap svg").getAttribute("width"));
      await page.locator("#zin").click();
      const after = Number(await page.locator("#wrap svg").getAttribute("width"));
      expect(after).toBeCloseTo(before * 1.5, 0);

      const artifacts = path.join(REPO_ROOT, ".lab", "artifacts");
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, "replay-L0.C.png"), fullPage: true });
      expect(fetched, "the page fetched something from the network").toEqual([]);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
