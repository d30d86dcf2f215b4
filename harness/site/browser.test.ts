/**
 * The lab site in a real browser: headless Chromium (Debian's `chromium` package, driven by
 * playwright-core) opens the static site `lab open --out` wrote, from file://. A solution page has
 * its prose beside its highlighted code, a guide's Mermaid diagrams are drawn as SVG, and the
 * results page leads in one click from a failing part to the drawing of its replay. No page fetches
 * anything from the network. Screenshots are kept in .lab/artifacts/ for a person to look at.
 *
 * Where no Chromium is installed (CI with only Node and `npm ci`), the test is skipped and says
 * how to get one: `apt-get install chromium`, or CHROMIUM_PATH for a browser elsewhere.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import { describe, expect, it, vi } from "vitest";
import { main } from "../cli.ts";
import { parseCommandArgs } from "../cli-args.ts";
import { REPO_ROOT } from "../grade/labs.ts";
import { OPEN, openCommand } from "./command.ts";
import { savedResultsFixture } from "./test-fixtures.ts";

const BROWSER = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FOUND = existsSync(BROWSER);
if (!FOUND) {
  console.warn(
    `harness/site/browser.test.ts skipped: no Chromium at ${BROWSER} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

const ARTIFACTS = path.join(REPO_ROOT, ".lab", "artifacts");

describe.skipIf(!FOUND)("the lab site in Chromium", () => {
  it("shows prose beside code, draws the guide's diagrams, and links a failing part to its replay's drawing", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lab-site-browser-"));
    const { resultsDir, replaysDir } = await savedResultsFixture(dir, "invariant broken: lost write");
    // A real replay with its drawing: lab 00's register that renames before the data is on disk.
    const log = path.join(replaysDir, "00-L0.C-seed7.log");
    const bug = path.join(REPO_ROOT, "labs", "00-durable-register", "bugs", "no-fsync-before-rename");
    const quiet = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const args = ["replay", "00", "--part", "L0.C", "--seed", "7", "--path", "0:0:0:0:0:0:0:1:1:1:1:0:0:0:0:0:1:1"];
      expect(await main([...args, "--impl", bug, "--out", log, "--html"])).toBe(1);
      // Stand-in for the learner's own replay: the results page lists only replays made without
      // --impl or --solution, so the header names the command as the learner would have typed it.
      const text = readFileSync(log, "utf8");
      writeFileSync(log, text.replace(/^# .*\n/, `# npx lab ${args.join(" ")} --html\n`));
      expect(
        await openCommand(parseCommandArgs(OPEN, ["--out", path.join(dir, "site")]), { resultsDir, replaysDir }),
      ).toBe(0);
    } finally {
      quiet.mockRestore();
    }
    const site = path.join(dir, "site");
    const url = (file: string) => pathToFileURL(path.join(site, ...file.split("/"))).href;

    const browser = await chromium.launch({ executablePath: BROWSER, args: ["--no-sandbox"] });
    const fetched: string[] = [];
    const open = async (file: string): Promise<Page> => {
      const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
      page.on("request", (request) => {
        if (!request.url().startsWith("file:")) fetched.push(request.url());
      });
      await page.goto(url(file));
      return page;
    };
    try {
      mkdirSync(ARTIFACTS, { recursive: true });

      const solution = await open("labs/00-durable-register/solution/register.ts.html");
      const sections = solution.locator("section.annotated");
      expect(await sections.count()).toBeGreaterThan(5);
      expect(await solution.locator(".intro").innerText()).toContain("The protocol is the classic atomic replace");
      expect(await solution.locator("section.annotated .code span.hljs-keyword").count()).toBeGreaterThan(20);
      // Side by side: a section's prose has its code to its right, starting on the same row.
      const row = sections.filter({ hasText: "Step 1: a fresh" });
      expect(await row.count()).toBe(1);
      const prose = await row.locator(".prose").boundingBox();
      const code = await row.locator(".code").boundingBox();
      expect(prose !== null && code !== null && code.x >= prose.x + prose.width - 1 && code.y === prose.y).toBe(true);
      expect(await row.locator(".code").innerText()).toContain("async function writeTemp(env: Env, file: Uint8Array)");
      await row.evaluate((element) => element.scrollIntoView());
      await solution.screenshot({ path: path.join(ARTIFACTS, "site-solution-register.png") });

      const guide = await open("labs/02-ordered-messages/index.html");
      const diagrams = guide.locator("pre.mermaid");
      expect(await diagrams.count()).toBeGreaterThan(0);
      await expect
        .poll(() => guide.locator("pre.mermaid svg").count(), { timeout: 30_000 })
        .toBe(await diagrams.count());
      expect(await guide.locator("pre.mermaid svg text, pre.mermaid svg foreignObject").count()).toBeGreaterThan(5);
      await diagrams.first().scrollIntoViewIfNeeded();
      await guide.screenshot({ path: path.join(ARTIFACTS, "site-guide-02-mermaid.png") });

      const results = await open("labs/00-durable-register/results.html");
      expect(await results.locator("td.state-fail").first().locator("xpath=..").innerText()).toContain(
        "failing: seed 7, invariant broken: lost write",
      );
      await results.screenshot({ path: path.join(ARTIFACTS, "site-results-00.png"), fullPage: true });
      await results.locator("a.replay-html").first().click();
      await results.waitForURL(/\/replays\/00-L0\.C-seed7\.html$/);
      await expect.poll(() => results.locator("pre.verdict").innerText()).toContain("invariant broken: lost write");
      expect(await results.locator("g.op.flagged").count()).toBeGreaterThan(0);

      expect(fetched, "a page fetched something from the network").toEqual([]);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
