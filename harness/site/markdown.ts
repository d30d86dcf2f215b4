/**
 * Markdown to HTML for the site: markdown-it for the text, highlight.js for code, and Mermaid
 * fences left as `<pre class="mermaid">` for the browser to draw (the page loads Mermaid's bundle
 * from the site's own assets, so drawing needs no network).
 *
 * Headings get GitHub's anchors (`## 6. Hints` is `#6-hints`), since the guides link to each other
 * by them. Links are handed to a resolver that turns a repository path into a page of the site.
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import diff from "highlight.js/lib/languages/diff";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import plaintext from "highlight.js/lib/languages/plaintext";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import yaml from "highlight.js/lib/languages/yaml";
import MarkdownIt from "markdown-it";

// Only the languages the guides and solutions use: the full set triples the import time.
for (const [name, language] of Object.entries({
  bash,
  diff,
  java,
  javascript,
  json,
  plaintext,
  sql,
  typescript,
  yaml,
})) {
  hljs.registerLanguage(name, language);
}
hljs.registerAliases(["sh", "shell", "console"], { languageName: "bash" });
hljs.registerAliases(["ts"], { languageName: "typescript" });
hljs.registerAliases(["js", "mjs"], { languageName: "javascript" });
hljs.registerAliases(["text", "txt"], { languageName: "plaintext" });

/** Code as highlighted HTML; a language highlight.js does not know is escaped as plain text. */
export function highlight(code: string, language: string): string {
  const lang = hljs.getLanguage(language) === undefined ? "plaintext" : language;
  return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Turns a link as written in a file (`../docs/x.md#y`) into where it points on the site. */
export type LinkResolver = (href: string) => string;

export interface Markdown {
  render(text: string, resolveLink: LinkResolver): string;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slugOf(text: string): string {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

export function createMarkdown(): Markdown {
  const md = new MarkdownIt({
    html: true,
    linkify: false,
    typographer: false,
    highlight: (code, language) => {
      const lang = language.trim().split(/\s+/)[0] ?? "";
      if (lang === "mermaid") return `<pre class="mermaid">${escapeHtml(code)}</pre>`;
      const known = hljs.getLanguage(lang) === undefined ? "plaintext" : lang;
      return `<pre><code class="hljs language-${known}">${highlight(code, known)}</code></pre>`;
    },
  });

  md.renderer.rules.heading_open = (tokens, idx, options, env, self) => {
    const inline = tokens[idx + 1];
    const text = (inline?.children ?? [])
      .filter((t) => t.type === "text" || t.type === "code_inline")
      .map((t) => t.content)
      .join("");
    const seen = envOf(env).slugs;
    const base = slugOf(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    tokens[idx]?.attrSet("id", count === 0 ? base : `${base}-${count}`);
    return self.renderToken(tokens, idx, options);
  };

  // Links, and pictures too: a guide's picture lives beside it in the repository and is copied
  // into the site.
  for (const [rule, attribute] of [
    ["link_open", "href"],
    ["image", "src"],
  ] as const) {
    const original = md.renderer.rules[rule];
    md.renderer.rules[rule] = (tokens, idx, options, env, self) => {
      const token = tokens[idx];
      const value = token?.attrGet(attribute);
      if (token !== undefined && value !== null && value !== undefined)
        token.attrSet(attribute, envOf(env).resolveLink(String(value)));
      return original === undefined
        ? self.renderToken(tokens, idx, options)
        : original(tokens, idx, options, env, self);
    };
  }

  return {
    render(text, resolveLink) {
      const env: RenderEnv = { slugs: new Map(), resolveLink };
      return md.render(text, env);
    },
  };
}

type RenderEnv = {
  slugs: Map<string, number>;
  resolveLink: LinkResolver;
};

/** markdown-it hands each rule the env object given to render(): always a RenderEnv here. */
function envOf(env: unknown): RenderEnv {
  return env as RenderEnv;
}
