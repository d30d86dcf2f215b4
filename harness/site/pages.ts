/**
 * The bodies of the site's pages drawn from repository files: a guide (Markdown), an annotated
 * source file (prose beside code, section by section), and a folder's listing.
 */
import { escapeHtml, highlight, type LinkResolver, type Markdown } from "./markdown.ts";
import { splitSections } from "./sections.ts";

export function guideBody(markdown: Markdown, text: string, resolveLink: LinkResolver): string {
  return `<article class="guide">${markdown.render(text, resolveLink)}</article>`;
}

/**
 * An annotated source file: one row per section, its prose on the left and its code on the right.
 * Each row is anchored by the line its code starts on (`#L42`), so a guide can point into the code.
 * The file's opening comment is its introduction, often a page long with diagrams of its own: it
 * is set across the page, above the rows, rather than squeezed beside a few imports.
 */
export function sourceBody(
  markdown: Markdown,
  repoPath: string,
  source: string,
  resolveLink: LinkResolver,
  crumbs: string,
): string {
  const sections = splitSections(source);
  const first = sections[0];
  let intro = "";
  if (first !== undefined && first.line === 1 && first.prose.trim() !== "") {
    intro = `<div class="intro">${markdown.render(first.prose, resolveLink)}</div>`;
    sections[0] = { ...first, prose: "" };
  }
  const rows = sections.map((section) => {
    const prose = section.prose.trim() === "" ? "" : markdown.render(section.prose, resolveLink);
    const code =
      section.code === ""
        ? ""
        : `<pre><code class="hljs language-typescript">${highlight(section.code, "typescript")}</code></pre>`;
    const anchor = `L${section.codeLine}`;
    return (
      `<section class="annotated" id="${anchor}"><div class="prose">${prose}</div>` +
      `<div class="code"><a class="line" href="#${anchor}" title="line ${section.codeLine} of ${escapeHtml(repoPath)}">${section.codeLine}</a>${code}</div></section>`
    );
  });
  return `<p class="crumbs">${crumbs}</p><h1><code>${escapeHtml(repoPath)}</code></h1>\n${intro}\n${rows.join("\n")}`;
}

/** A folder the guides link to: its files, each linked when the site has a page for it. */
export function listingBody(repoPath: string, entries: ReadonlyArray<{ name: string; href: string | null }>): string {
  const items = entries.map(({ name, href }) =>
    href === null
      ? `<li><code>${escapeHtml(name)}</code></li>`
      : `<li><a href="${escapeHtml(href)}">${escapeHtml(name)}</a></li>`,
  );
  return `<h1><code>${escapeHtml(repoPath)}/</code></h1><ul>${items.join("")}</ul>`;
}
