/**
 * Where a repository file lives on the site, and how a link written in one file reaches another.
 *
 * The site mirrors the repository's layout, so a link that works on GitHub works here once its
 * target's name is changed: `X/README.md` is `X/index.html`, `x.md` is `x.html`, `x.ts` is
 * `x.ts.html`, a folder is its `index.html`. Links stay relative, so the static site works from
 * any folder and from file:// as well as from the server.
 */
import path from "node:path";

/** The site path (posix, no leading slash) of a repository path (posix, relative to the root). */
export function siteUrlOf(repoPath: string, kind: "file" | "dir"): string {
  if (kind === "dir") return repoPath === "" ? "index.html" : `${repoPath.replace(/\/$/, "")}/index.html`;
  if (repoPath === "README.md") return "index.html";
  if (repoPath.endsWith("/README.md")) return `${repoPath.slice(0, -"README.md".length)}index.html`;
  if (repoPath.endsWith(".md")) return `${repoPath.slice(0, -".md".length)}.html`;
  if (repoPath.endsWith(".ts")) return `${repoPath}.html`;
  return repoPath;
}

/** A link from the page at site path `from` to site path `to` (with `#hash` kept). */
export function relativeUrl(from: string, to: string): string {
  const [target = "", hash] = to.split("#", 2);
  const rel = path.posix.relative(path.posix.dirname(from), target) || path.posix.basename(target);
  return hash === undefined ? rel : `${rel}#${hash}`;
}

export type LinkTarget =
  | { kind: "external" }
  | { kind: "anchor" }
  | { kind: "repo"; repoPath: string; hash: string | null };

/** What a link in the file at `fromRepoPath` points at: another site, an anchor, or a repository path. */
export function linkTarget(fromRepoPath: string, href: string): LinkTarget {
  if (href.startsWith("#")) return { kind: "anchor" };
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith("//") || href.startsWith("/")) return { kind: "external" };
  const [target = "", hash] = href.split("#", 2);
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(fromRepoPath), decodeURI(target)));
  if (joined.startsWith("..")) return { kind: "external" };
  return { kind: "repo", repoPath: joined === "." ? "" : joined.replace(/\/$/, ""), hash: hash ?? null };
}
