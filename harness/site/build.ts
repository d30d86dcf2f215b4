/**
 * The site: every page `lab open` serves or writes, by site path.
 *
 * It starts from the guides (README.md, labs/README.md, each lab's README.md and bug zoo entries,
 * docs/*.md), the annotated code (each lab's solution/*.ts and provided.ts) and each lab's results
 * page, then follows the links those pages make: a linked .md or .ts file becomes a page, a linked
 * folder a listing (or its README), a linked picture a copied file. So every link between them
 * works inside the site, and nothing outside it is needed to read them.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { LabEntry } from "../grade/labs.ts";
import { readSaved } from "../grade/results.ts";
import { ASSETS, MERMAID_START, type NavLink, type PageShell, renderShell, SITE_CSS } from "./layout.ts";
import { createMarkdown, escapeHtml, type LinkResolver } from "./markdown.ts";
import { guideBody, listingBody, sourceBody } from "./pages.ts";
import { linkTarget, relativeUrl, siteUrlOf } from "./paths.ts";
import { resultsBody } from "./results-page.ts";

export interface SiteOptions {
  root: string;
  labs: readonly LabEntry[];
  resultsDir: string;
  replaysDir: string;
}

/** A page drawn anew each time it is asked for (so the results page follows the latest grade), or a file copied as it is. */
export type SiteEntry =
  | { kind: "page"; render: () => string }
  | { kind: "file"; path: string }
  | { kind: "text"; text: string };

export interface Site {
  entries: Map<string, SiteEntry>;
  /** The site path of a lab's guide. */
  labUrl(lab: LabEntry): string;
}

const require = createRequire(import.meta.url);
const SKIPPED = /^(node_modules|\.git|\.lab)(\/|$)/;

export function buildSite(options: SiteOptions): Site {
  const { root, labs } = options;
  const markdown = createMarkdown();
  const entries = new Map<string, SiteEntry>();
  entries.set(ASSETS.css, { kind: "text", text: SITE_CSS });
  entries.set(ASSETS.mermaidStart, { kind: "text", text: MERMAID_START });
  entries.set(ASSETS.mermaid, { kind: "file", path: require.resolve("mermaid/dist/mermaid.min.js") });
  entries.set(ASSETS.highlightCss, { kind: "file", path: require.resolve("highlight.js/styles/github.min.css") });

  const labPath = (lab: LabEntry) => `labs/${lab.slug}`;
  const annotated = (lab: LabEntry): string[] => {
    const solution = path.join(lab.dir, "solution");
    const files = existsSync(solution)
      ? readdirSync(solution)
          .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
          .sort()
          .map((f) => `${labPath(lab)}/solution/${f}`)
      : [];
    if (existsSync(path.join(lab.dir, "provided.ts"))) files.push(`${labPath(lab)}/provided.ts`);
    return files;
  };
  const docs = existsSync(path.join(root, "docs"))
    ? readdirSync(path.join(root, "docs"))
        .filter((f) => f.endsWith(".md"))
        .sort()
    : [];

  const nav: NavLink[] = [
    { title: "Home", url: "index.html" },
    {
      title: "Labs",
      url: "labs/index.html",
      children: labs.map((lab) => ({
        title: `${lab.id} ${lab.manifest.title}`,
        url: siteUrlOf(`${labPath(lab)}/README.md`, "file"),
        children: [
          { title: "Your results", url: `${labPath(lab)}/results.html` },
          ...annotated(lab).map((file) => ({ title: path.posix.basename(file), url: siteUrlOf(file, "file") })),
        ],
      })),
    },
    {
      title: "Docs",
      url: siteUrlOf(`docs/${docs[0] ?? "harness.md"}`, "file"),
      children: docs.map((f) => ({
        title: titleOfFile(path.join(root, "docs", f)) ?? f,
        url: siteUrlOf(`docs/${f}`, "file"),
      })),
    },
  ];

  const shell = (url: string, title: string, body: string, kind: PageShell["kind"]) =>
    renderShell({ url, title, nav, body, kind });
  const queue: string[] = [];
  const queued = new Set<string>();
  const enqueue = (repoPath: string) => {
    if (!queued.has(repoPath)) {
      queued.add(repoPath);
      queue.push(repoPath);
    }
  };

  /** Where a repository path is on the site (queuing its page), or null when it is not part of it. */
  const place = (repoPath: string): string | null => {
    const full = path.join(root, repoPath);
    if (SKIPPED.test(repoPath) || !existsSync(full)) return null;
    if (statSync(full).isDirectory()) {
      const readme = repoPath === "" ? "README.md" : `${repoPath}/README.md`;
      if (existsSync(path.join(root, readme))) return place(readme);
      enqueue(repoPath);
      return siteUrlOf(repoPath, "dir");
    }
    enqueue(repoPath);
    return siteUrlOf(repoPath, "file");
  };

  const resolverFor =
    (repoPath: string, url: string): LinkResolver =>
    (href) => {
      const target = linkTarget(repoPath, href);
      if (target.kind !== "repo") return href;
      const placed = place(target.repoPath);
      if (placed === null) return href;
      return relativeUrl(url, target.hash === null ? placed : `${placed}#${target.hash}`);
    };

  const labOf = (repoPath: string) => labs.find((lab) => repoPath.startsWith(`${labPath(lab)}/`));

  /** A lab guide's bar: its results and its annotated code, one click away. */
  const labBar = (lab: LabEntry, url: string) => {
    const links = [
      `<a href="${escapeHtml(relativeUrl(url, `${labPath(lab)}/results.html`))}">your results</a>`,
      ...annotated(lab).map(
        (file) =>
          `<a href="${escapeHtml(relativeUrl(url, siteUrlOf(file, "file")))}">${escapeHtml(path.posix.basename(file))}</a>`,
      ),
    ];
    return `<p class="crumbs">Lab ${escapeHtml(lab.id)}: ${links.join(" · ")}</p>`;
  };

  const addPage = (repoPath: string) => {
    const full = path.join(root, repoPath);
    if (statSync(full).isDirectory()) {
      const url = siteUrlOf(repoPath, "dir");
      const render = () => {
        const items = readdirSync(full)
          .sort()
          .map((name) => {
            const placed = place(path.posix.join(repoPath, name));
            return { name, href: placed === null ? null : relativeUrl(url, placed) };
          });
        return shell(url, `${repoPath}/`, listingBody(repoPath, items), "guide");
      };
      entries.set(url, { kind: "page", render: cached(render) });
      return;
    }
    const url = siteUrlOf(repoPath, "file");
    if (repoPath.endsWith(".md")) {
      const render = () => {
        const text = readFileSync(full, "utf8");
        const lab = labOf(repoPath);
        const bar = lab !== undefined && repoPath === `${labPath(lab)}/README.md` ? labBar(lab, url) : "";
        return shell(
          url,
          firstHeading(text) ?? repoPath,
          bar + guideBody(markdown, text, resolverFor(repoPath, url)),
          "guide",
        );
      };
      entries.set(url, { kind: "page", render: cached(render) });
    } else if (repoPath.endsWith(".ts")) {
      const render = () => {
        const lab = labOf(repoPath);
        const crumbs = lab === undefined ? "" : labBar(lab, url).replace(/^<p class="crumbs">|<\/p>$/g, "");
        const body = sourceBody(markdown, repoPath, readFileSync(full, "utf8"), resolverFor(repoPath, url), crumbs);
        return shell(url, repoPath, body, "source");
      };
      entries.set(url, { kind: "page", render: cached(render) });
    } else {
      entries.set(url, { kind: "file", path: full });
    }
  };

  for (const start of ["README.md", "labs/README.md", ...docs.map((f) => `docs/${f}`)]) place(start);
  for (const lab of labs) {
    place(`${labPath(lab)}/README.md`);
    const bugs = path.join(lab.dir, "bugs");
    if (existsSync(bugs))
      for (const name of readdirSync(bugs).sort())
        if (existsSync(path.join(bugs, name, "README.md"))) place(`${labPath(lab)}/bugs/${name}/README.md`);
    for (const file of annotated(lab)) place(file);
    const url = `${labPath(lab)}/results.html`;
    const publish = (file: string) => {
      const published = `${labPath(lab)}/replays/${path.basename(file)}`;
      entries.set(published, { kind: "file", path: file });
      return relativeUrl(url, published);
    };
    entries.set(url, {
      kind: "page",
      render: () =>
        shell(
          url,
          `Lab ${lab.id}: your results`,
          labBar(lab, url) + resultsBody(lab, readSaved(lab, options.resultsDir), options.replaysDir, publish),
          "status",
        ),
    });
  }
  // Rendering a page finds its links: render each once, which queues the pages it links to.
  while (queue.length > 0) {
    const repoPath = queue.shift() as string;
    addPage(repoPath);
    const entry = entries.get(siteUrlOf(repoPath, statSync(path.join(root, repoPath)).isDirectory() ? "dir" : "file"));
    if (entry?.kind === "page") entry.render();
  }
  // A results page publishes the replay files it links to: render each once so they are listed.
  for (const lab of labs) {
    const entry = entries.get(`${labPath(lab)}/results.html`);
    if (entry?.kind === "page") entry.render();
  }
  return { entries, labUrl: (lab) => siteUrlOf(`${labPath(lab)}/README.md`, "file") };
}

/**
 * A page's text, drawn once: guides and code do not change while the site is open. (The results
 * pages are not cached: they follow the learner's grades.)
 */
function cached(render: () => string): () => string {
  let text: string | null = null;
  return () => {
    text ??= render();
    return text;
  };
}

function firstHeading(markdown: string): string | null {
  const match = /^#\s+(.+)$/m.exec(markdown);
  return match?.[1]?.replace(/[`*_]/g, "").trim() ?? null;
}

function titleOfFile(file: string): string | null {
  return firstHeading(readFileSync(file, "utf8"));
}

/** Writes every page and file of the site under `outDir`; returns how many files it wrote. */
export function writeSite(site: Site, outDir: string): number {
  let count = 0;
  for (const [url, entry] of site.entries) {
    const target = path.join(outDir, ...url.split("/"));
    mkdirSync(path.dirname(target), { recursive: true });
    if (entry.kind === "file") copyFileSync(entry.path, target);
    else writeFileSync(target, entry.kind === "page" ? entry.render() : entry.text);
    count++;
  }
  return count;
}
