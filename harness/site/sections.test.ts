/**
 * The prose/code splitter: which comments become prose, which stay with the code, and that no code
 * line is lost or moved on the way.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../grade/labs.ts";
import { splitSections } from "./sections.ts";

const FILE = [
  "/**",
  " * The title.",
  " *",
  " * On disk:",
  " *",
  " *     a | b",
  " */",
  'import { x } from "y";',
  "",
  "const A = 1; // a trailing note stays with its line",
  "",
  "/** One line of prose. */",
  "export function f(): number {",
  "  // Why this loop:",
  "  // it stops early.",
  "  //",
  "  // A second paragraph.",
  "  for (;;) break;",
  "  // biome-ignore lint/x: a directive belongs to the code",
  "  return A; /* not prose */ ",
  "}",
].join("\n");

describe("splitSections", () => {
  const sections = splitSections(FILE);

  it("makes a block comment prose without its markers, keeping indentation inside it", () => {
    expect(sections[0]?.prose).toBe("The title.\n\nOn disk:\n\n    a | b");
    expect(sections[0]?.code).toBe('import { x } from "y";\n\nconst A = 1; // a trailing note stays with its line');
    expect(sections[0]?.line).toBe(1);
    expect(sections[0]?.codeLine).toBe(8);
  });

  it("a one-line block comment is prose; a run of // lines is one prose piece with its paragraphs", () => {
    expect(sections[1]?.prose).toBe("One line of prose.");
    expect(sections[1]?.code).toBe("export function f(): number {");
    expect(sections[2]?.prose).toBe("Why this loop:\nit stops early.\n\nA second paragraph.");
    expect(sections[2]?.codeLine).toBe(18);
  });

  it("a banner rule of = or - around a title is a paragraph break, not text", () => {
    const [section] = splitSections("// =====\n// 3. Loading\n// -----\nlet a = 1;");
    expect(section?.prose).toBe("3. Loading");
  });

  it("keeps tool directives and comments that share a line with code in the code", () => {
    expect(sections[2]?.code).toContain("// biome-ignore lint/x");
    expect(sections[2]?.code).toContain("return A; /* not prose */");
    expect(sections).toHaveLength(3);
  });

  it("merges comments separated only by blank lines, and keeps code before the first comment", () => {
    const merged = splitSections("let a = 1;\n// one\n\n/* two */\nlet b = 2;");
    expect(merged.map((s) => [s.prose, s.code])).toEqual([
      ["", "let a = 1;"],
      ["one\n\ntwo", "let b = 2;"],
    ]);
  });

  it("a block comment left open is code, not swallowed prose", () => {
    const open = splitSections("/* never closed\nlet a = 1;");
    expect(open.map((s) => s.prose)).toEqual([""]);
    expect(open[0]?.code).toBe("/* never closed\nlet a = 1;");
  });

  it("loses no code line of any reference solution, and keeps them in order", () => {
    const labs = readdirSync(path.join(REPO_ROOT, "labs")).filter((n) => /^\d\d-/.test(n));
    let files = 0;
    for (const lab of labs) {
      const dir = path.join(REPO_ROOT, "labs", lab, "solution");
      for (const name of readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
        const source = readFileSync(path.join(dir, name), "utf8");
        const code = splitSections(source)
          .map((s) => s.code)
          .join("\n");
        const codeLines = (text: string) =>
          text.split("\n").filter((line) => line.trim() !== "" && !/^\s*(\/\/|\/\*|\*)/.test(line));
        expect(codeLines(code), `${lab}/solution/${name}`).toEqual(codeLines(source));
        // Every section's code line really is where its code starts in the file.
        const lines = source.split("\n");
        for (const s of splitSections(source).filter((s) => s.code !== ""))
          expect(lines[s.codeLine - 1], `${name} line ${s.codeLine}`).toBe(s.code.split("\n")[0]);
        files++;
      }
    }
    expect(files).toBeGreaterThan(10);
  });
});
