/**
 * The whole site, built from this repository: every link between its pages lands on a page of the
 * site (and on an anchor that page has), the results page says what `lab status` says and links a
 * failing part's replays, and `lab open` writes the site or refuses bad input in one line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.ts";
import { parseCommandArgs } from "../cli-args.ts";
import { listLabs, REPO_ROOT } from "../grade/labs.ts";
import { buildSite, type Site } from "./build.ts";
import { OPEN, openCommand } from "./command.ts";
import { savedResultsFixture } from "./test-fixtures.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "lab-site-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function fixture(): Promise<{ resultsDir: string; replaysDir: string }> {
  const dirs = await savedResultsFixture(tmp, "invariant broken: lost write");
  const header = (command: string) =>
    `# ${command}\n# lab 00, part L0.C, seed 7\n# verdict: invariant broken: lost write\n\n0.000 n1 start\n`;
  const log = (name: string, command: string) => writeFileSync(path.join(dirs.replaysDir, name), header(command));
  log("00-L0.C-seed7-0a1b2c3d.log", "npx lab replay 00 --part L0.C --seed 7 --path 0:1");
  writeFileSync(path.join(dirs.replaysDir, "00-L0.C-seed7-0a1b2c3d.html"), "<!doctype html><p>diagram</p>");
  // The reference solution's replay of the same seed is not the learner's: left out.
  log("00-L0.C-seed7-99999999.log", "npx lab replay 00 --part L0.C --seed 7 --solution");
  return dirs;
}

function render(site: Site, url: string): string {
  const entry = site.entries.get(url);
  if (entry?.kind !== "page") throw new Error(`${url} is not a page of the site`);
  return entry.render();
}

describe("the site", async () => {
  const dirs = await fixture();
  const site = buildSite({ root: REPO_ROOT, labs: await listLabs(), ...dirs });

  it("has every guide, docs page and annotated solution file", () => {
    for (const url of [
      "index.html",
      "labs/index.html",
      "docs/harness.html",
      "labs/00-durable-register/index.html",
      "labs/00-durable-register/solution/register.ts.html",
      "labs/01-log-storage/provided.ts.html",
      "labs/02-ordered-messages/bugs/negative-modulo/index.html",
      "labs/00-durable-register/results.html",
      "assets/mermaid.min.js",
    ])
      expect(site.entries.has(url), url).toBe(true);
  });

  it("every link between its pages lands on a page of the site, at an anchor that page has", () => {
    const ids = new Map<string, Set<string>>();
    const idsOf = (url: string) => {
      let found = ids.get(url);
      if (found === undefined) {
        found = new Set([...render(site, url).matchAll(/\sid="([^"]+)"/g)].map((m) => m[1] as string));
        ids.set(url, found);
      }
      return found;
    };
    let checked = 0;
    for (const [url, entry] of site.entries) {
      if (entry.kind !== "page") continue;
      for (const [, href] of render(site, url).matchAll(/\s(?:href|src)="([^"]+)"/g)) {
        const link = (href as string).replace(/&amp;/g, "&");
        if (/^[a-z]+:/i.test(link)) continue;
        const [target = "", hash] = link.split("#", 2);
        const targetUrl = target === "" ? url : path.posix.normalize(path.posix.join(path.posix.dirname(url), target));
        expect(site.entries.has(targetUrl), `${url} links to ${link}`).toBe(true);
        if (hash !== undefined && site.entries.get(targetUrl)?.kind === "page")
          expect(idsOf(targetUrl).has(hash), `${url} links to #${hash} in ${targetUrl}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it("a solution page holds prose beside highlighted code; a guide keeps its Mermaid source for the browser", () => {
    const solution = render(site, "labs/00-durable-register/solution/register.ts.html");
    expect(solution.match(/<section class="annotated"/g)?.length ?? 0).toBeGreaterThan(5);
    expect(solution).toContain("The protocol is the classic atomic replace");
    expect(solution).toMatch(/<div class="code">.*<code class="hljs language-typescript">/);
    const guide = render(site, "labs/02-ordered-messages/index.html");
    expect(guide).toContain('<pre class="mermaid">');
    expect(guide).toContain("assets/mermaid.min.js");
    expect(render(site, "docs/harness.html")).not.toContain("mermaid.min.js");
  });

  it("the results page shows each part's state and, for the failing part, its verdict, report command and replays", () => {
    const page = render(site, "labs/00-durable-register/results.html");
    expect(page).toMatch(/state-pass">✓<\/td><td>L0\.A/);
    expect(page).toMatch(/state-fail">✗<\/td><td>L0\.C.*failing: seed 7, invariant broken: lost write/);
    expect(page).toContain("npx lab grade 00 --part L0.C --seed 7");
    expect(page).toContain("npx lab replay 00 --part L0.C --seed 7 --path 0:1");
    expect(page).toContain('href="replays/00-L0.C-seed7-0a1b2c3d.html"');
    expect(page).not.toContain("--solution");
    expect(site.entries.get("labs/00-durable-register/replays/00-L0.C-seed7-0a1b2c3d.html")?.kind).toBe("file");
    // Lab 01 has no results: every part is simply not graded.
    expect(render(site, "labs/01-log-storage/results.html")).not.toContain("state-fail");
  });
});

describe("lab open", () => {
  const quiet = () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    return { log, error, restore: () => vi.restoreAllMocks() };
  };

  it("--out DIR writes the site and prints where to open it", async () => {
    const out = path.join(tmp, "out");
    const console = quiet();
    try {
      expect(await main(["open", "00", "--out", out])).toBe(0);
      expect(console.log.mock.calls.join("\n")).toContain(path.join(out, "labs", "00-durable-register", "index.html"));
    } finally {
      console.restore();
    }
    expect(
      readFileSync(path.join(out, "labs", "00-durable-register", "solution", "register.ts.html"), "utf8"),
    ).toContain('<section class="annotated"');
  }, 60_000);

  it("serves the site on 127.0.0.1, and a port in use is one line and exit 2", async () => {
    const console = quiet();
    try {
      let done: Promise<number> = Promise.resolve(-1);
      const ready = new Promise<{ url: string; stop: () => Promise<void> }>((resolve) => {
        done = openCommand(parseCommandArgs(OPEN, ["--port", "0"]), {
          onServing: (url, stop) => resolve({ url, stop }),
        });
      });
      const { url, stop } = await ready;
      try {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        const page = await fetch(`${url}labs/00-durable-register/solution/register.ts.html`);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<section class="annotated"');
        expect((await fetch(`${url}..%2f..%2fpackage.json`)).status).toBe(404);
      } finally {
        await stop();
      }
      expect(await done).toBe(0);

      const busy = http.createServer();
      await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
      const port = (busy.address() as AddressInfo).port;
      try {
        expect(await main(["open", "--port", String(port)])).toBe(2);
        expect(console.error.mock.calls.map((c) => String(c[0]))).toEqual([
          `lab: port ${port} is in use: pick another with --port N (or --port 0 for any free one)`,
        ]);
      } finally {
        busy.close();
      }
    } finally {
      console.restore();
    }
  }, 60_000);
});
