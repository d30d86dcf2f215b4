/**
 * The page every site page is drawn in: a sidebar with the labs and the docs, the content, and the
 * site's own stylesheets and scripts, all linked relatively from the site's assets/ folder. Mermaid
 * is loaded only by pages that hold a diagram (its bundle is 3.5 MB). On an annotated code page the
 * sidebar starts folded: code lines are up to 120 characters, and the code column needs the room.
 */
import { escapeHtml } from "./markdown.ts";
import { relativeUrl } from "./paths.ts";

export interface NavLink {
  title: string;
  url: string;
  children?: NavLink[];
}

export interface PageShell {
  /** The page's own site path: every link is made relative to it. */
  url: string;
  title: string;
  nav: NavLink[];
  body: string;
  /** Extra class on <body> ("source" widens the page for two columns). */
  kind: "guide" | "source" | "status";
}

export const ASSETS = {
  css: "assets/site.css",
  highlightCss: "assets/highlight.css",
  mermaid: "assets/mermaid.min.js",
  mermaidStart: "assets/mermaid-start.js",
} as const;

export function renderShell(page: PageShell): string {
  const to = (target: string) => escapeHtml(relativeUrl(page.url, target));
  const navItem = (link: NavLink): string => {
    const current = link.url === page.url ? ' aria-current="page"' : "";
    const children =
      link.children === undefined || link.children.length === 0
        ? ""
        : `<ul>${link.children.map(navItem).join("")}</ul>`;
    return `<li><a href="${to(link.url)}"${current}>${escapeHtml(link.title)}</a>${children}</li>`;
  };
  const mermaid = page.body.includes('<pre class="mermaid">')
    ? `<script src="${to(ASSETS.mermaid)}"></script><script src="${to(ASSETS.mermaidStart)}"></script>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<link rel="stylesheet" href="${to(ASSETS.highlightCss)}">
<link rel="stylesheet" href="${to(ASSETS.css)}">
</head>
<body class="${page.kind}">
<nav class="site"><details${page.kind === "source" ? "" : " open"}><summary>Contents</summary><ul>${page.nav.map(navItem).join("")}</ul></details></nav>
<main>
${page.body}
</main>
${mermaid}
</body>
</html>
`;
}

/** Starts Mermaid on the page's diagrams; strict mode keeps diagram text from running scripts. */
export const MERMAID_START = `mermaid.initialize({ startOnLoad: true, securityLevel: "strict", theme: "neutral" });\n`;

export const SITE_CSS = `
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --paper: #fff; --code-bg: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; display: grid; grid-template-columns: 16rem 1fr; color: var(--ink); background: var(--paper);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
nav.site { border-right: 1px solid var(--line); padding: 1rem; font-size: 14px; position: sticky; top: 0;
  height: 100vh; overflow-y: auto; background: #fafbfc; }
nav.site ul { list-style: none; margin: 0; padding-left: 0.8rem; }
nav.site details > ul { padding-left: 0; margin-top: 0.5rem; }
nav.site summary { cursor: pointer; color: var(--muted); }
body.source { grid-template-columns: auto 1fr; }
body.source nav.site details:not([open]) { width: 6rem; }
body.source nav.site details[open] { width: 14rem; }
nav.site a { color: var(--ink); text-decoration: none; }
nav.site a[aria-current] { font-weight: 600; color: var(--accent); }
main { padding: 1.5rem 2.5rem 4rem; max-width: 56rem; min-width: 0; }
body.source main { max-width: none; }
a { color: var(--accent); }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
:not(pre) > code { background: var(--code-bg); padding: 0.1em 0.3em; border-radius: 4px; }
pre { background: var(--code-bg); padding: 0.8rem; overflow-x: auto; border-radius: 6px; }
pre code.hljs { padding: 0; background: none; }
pre.mermaid { background: none; text-align: center; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid var(--line); padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
blockquote { margin: 0; padding-left: 1rem; border-left: 4px solid var(--line); color: var(--muted); }
.crumbs { color: var(--muted); font-size: 14px; }
.intro { max-width: 56rem; }
section.annotated { display: grid; grid-template-columns: minmax(17rem, 2fr) minmax(0, 5fr); border-top: 1px solid var(--line); }
section.annotated > .prose { padding: 0.5rem 1.5rem 0.5rem 0; min-width: 0; }
section.annotated > .code { background: var(--code-bg); min-width: 0; border-left: 1px solid var(--line); }
section.annotated > .code pre { margin: 0; border-radius: 0; font-size: 12.5px; }
section.annotated .line { float: right; font-size: 12px; color: var(--muted); text-decoration: none; padding: 0.4rem; }
@media (max-width: 60rem) { body, body.source { grid-template-columns: 1fr; } nav.site { position: static; height: auto; }
  section.annotated { grid-template-columns: 1fr; } }
.state-pass { color: #1a7f37; } .state-fail { color: #cf222e; } .state-other { color: var(--muted); }
details.report { margin: 0.4rem 0 0.8rem; }
`;
