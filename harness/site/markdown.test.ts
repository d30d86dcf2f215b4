/**
 * Markdown rendering: GitHub's heading anchors, highlighted code, Mermaid fences left for the
 * browser, and links and pictures handed to the site's resolver.
 */
import { describe, expect, it } from "vitest";
import { createMarkdown, slugOf } from "./markdown.ts";
import { linkTarget, relativeUrl, siteUrlOf } from "./paths.ts";

const md = createMarkdown();
const keep = (href: string) => href;

describe("the Markdown renderer", () => {
  it("anchors headings as GitHub does, numbering repeats", () => {
    expect(slugOf("6. Hints")).toBe("6-hints");
    expect(slugOf("2. How RocketMQ and Kafka do it")).toBe("2-how-rocketmq-and-kafka-do-it");
    expect(slugOf("The disk model: the rules every lab plays by")).toBe("the-disk-model-the-rules-every-lab-plays-by");
    const html = md.render("## 6. Hints\n\n## `fsync` and you\n\n## 6. Hints\n", keep);
    expect(html).toContain('<h2 id="6-hints">6. Hints</h2>');
    expect(html).toContain('<h2 id="fsync-and-you">');
    expect(html).toContain('<h2 id="6-hints-1">');
  });

  it("highlights a TypeScript fence and escapes an unknown language as plain text", () => {
    const html = md.render("```ts\nconst a: number = 1;\n```\n\n```weird\n<b>x</b>\n```\n", keep);
    expect(html).toContain('<code class="hljs language-ts">');
    expect(html).toMatch(/<span class="hljs-keyword">const<\/span>/);
    expect(html).toContain("&lt;b&gt;x&lt;/b&gt;");
    expect(html).not.toContain("<b>x</b>");
  });

  it("leaves a Mermaid fence as escaped source in pre.mermaid, for the browser to draw", () => {
    const html = md.render('```mermaid\nflowchart LR\n  A["a < b"] --> B\n```\n', keep);
    expect(html).toContain('<pre class="mermaid">flowchart LR\n  A[&quot;a &lt; b&quot;] --&gt; B\n</pre>');
    expect(html).not.toContain("<code");
  });

  it("hands every link and picture to the resolver, and keeps the text", () => {
    const seen: string[] = [];
    const html = md.render("[guide](../x/README.md#3-api) and ![drawing](fig.png)", (href) => {
      seen.push(href);
      return `SITE/${href}`;
    });
    expect(seen).toEqual(["../x/README.md#3-api", "fig.png"]);
    expect(html).toContain('<a href="SITE/../x/README.md#3-api">guide</a>');
    expect(html).toContain('<img src="SITE/fig.png" alt="drawing">');
  });
});

describe("site paths", () => {
  it("mirrors the repository: READMEs are index pages, code gets .html after its name", () => {
    expect(siteUrlOf("README.md", "file")).toBe("index.html");
    expect(siteUrlOf("labs/00-a/README.md", "file")).toBe("labs/00-a/index.html");
    expect(siteUrlOf("docs/harness.md", "file")).toBe("docs/harness.html");
    expect(siteUrlOf("labs/00-a/solution/r.ts", "file")).toBe("labs/00-a/solution/r.ts.html");
    expect(siteUrlOf("labs/shared/broker", "dir")).toBe("labs/shared/broker/index.html");
    expect(siteUrlOf("docs/fig.png", "file")).toBe("docs/fig.png");
  });

  it("reads a link relative to the file it is written in", () => {
    expect(linkTarget("labs/00-a/README.md", "../../docs/x.md#y")).toEqual({
      kind: "repo",
      repoPath: "docs/x.md",
      hash: "y",
    });
    expect(linkTarget("labs/00-a/README.md", "bugs/")).toEqual({
      kind: "repo",
      repoPath: "labs/00-a/bugs",
      hash: null,
    });
    expect(linkTarget("README.md", "#top").kind).toBe("anchor");
    expect(linkTarget("README.md", "https://github.com/apache/rocketmq").kind).toBe("external");
    expect(linkTarget("README.md", "../outside.md").kind).toBe("external");
    expect(relativeUrl("labs/00-a/index.html", "docs/x.html#y")).toBe("../../docs/x.html#y");
    expect(relativeUrl("docs/a.html", "docs/a.html#y")).toBe("a.html#y");
  });
});
