/**
 * An annotated source file cut into sections, as Docco and Crafting Interpreters lay them out: each
 * section is a stretch of prose (the comments, written as Markdown) and the code it explains.
 *
 * What counts as prose: a block comment (`/** ... *\/` or `/* ... *\/`) that starts its line and
 * ends its line, and a run of lines holding nothing but a `//` comment. A comment at the end of a
 * code line stays with the code: it annotates that line, not a stretch. Tool directives
 * (`// biome-ignore`, `// @ts-expect-error`) stay with the code too, since they belong to the line
 * below them. The splitter reads lines, not tokens: a template literal whose own lines start with
 * `//` would be cut wrongly, and none of the annotated files has one.
 */

export interface Section {
  /** Markdown: the comment text without its comment markers. Empty before the first comment. */
  prose: string;
  /** The code that follows the prose, blank lines at either end trimmed. */
  code: string;
  /** The 1-based line the section starts on in the file. */
  line: number;
  /** The 1-based line its code starts on (its first non-blank code line), for links into the code. */
  codeLine: number;
}

const DIRECTIVE = /^\/\/\s*(biome-ignore|@ts-|eslint-|prettier-ignore|#region|#endregion)/;

type Piece = { kind: "prose" | "code"; text: string[]; line: number };

/** Cuts `source` into sections; joining every section's code gives back the code lines, in order. */
export function splitSections(source: string): Section[] {
  const pieces = readPieces(source.replace(/\r\n/g, "\n").split("\n"));
  const sections: Section[] = [];
  let current: Section | null = null;
  for (const piece of pieces) {
    if (piece.kind === "prose") {
      // Two comments with only blank lines between them explain the same code: one section.
      if (current !== null && current.code.trim() === "") {
        current.prose = joinProse(current.prose, piece.text.join("\n"));
        continue;
      }
      current = { prose: piece.text.join("\n"), code: "", line: piece.line, codeLine: piece.line };
      sections.push(current);
    } else {
      if (current === null) {
        current = { prose: "", code: "", line: piece.line, codeLine: piece.line };
        sections.push(current);
      }
      if (current.code.trim() === "") {
        const firstCode = piece.text.findIndex((text) => text.trim() !== "");
        current.codeLine = piece.line + Math.max(firstCode, 0);
      }
      current.code = current.code === "" ? piece.text.join("\n") : `${current.code}\n${piece.text.join("\n")}`;
    }
  }
  for (const section of sections) {
    section.code = trimBlankLines(section.code);
    section.prose = trimBlankLines(section.prose);
  }
  return sections.filter((s) => s.prose.trim() !== "" || s.code !== "");
}

function readPieces(lines: readonly string[]): Piece[] {
  const pieces: Piece[] = [];
  const push = (kind: Piece["kind"], text: string, line: number) => {
    const last = pieces.at(-1);
    if (last?.kind === kind) last.text.push(text);
    else pieces.push({ kind, text: [text], line });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const trimmed = line.trim();
    if (trimmed.startsWith("/*")) {
      const end = findBlockEnd(lines, i);
      if (end !== null) {
        pieces.push({ kind: "prose", text: blockText(lines.slice(i, end + 1)), line: i + 1 });
        i = end;
        continue;
      }
    }
    if (trimmed.startsWith("//") && !DIRECTIVE.test(trimmed)) {
      // A run of `//` lines is one prose piece; a blank `//` line is a paragraph break in it.
      const last = pieces.at(-1);
      // A rule drawn with `=` or `-` (a banner around a section title) is a paragraph break, not text.
      const text = /^\/\/\s*([=-])\1{3,}\s*$/.test(trimmed) ? "" : trimmed.replace(/^\/\/ ?/, "");
      if (last?.kind === "prose" && last.text.length > 0 && lines[i - 1]?.trim().startsWith("//")) last.text.push(text);
      else pieces.push({ kind: "prose", text: [text], line: i + 1 });
      continue;
    }
    push("code", line, i + 1);
  }
  return pieces;
}

/** The line on which the block comment opened at `start` closes, when nothing but space follows it. */
function findBlockEnd(lines: readonly string[], start: number): number | null {
  for (let j = start; j < lines.length; j++) {
    const text = j === start ? (lines[j] as string).trim().slice(2) : (lines[j] as string);
    const close = text.indexOf("*/");
    if (close === -1) continue;
    return text.slice(close + 2).trim() === "" ? j : null;
  }
  return null;
}

/** A block comment's text: markers and the ` * ` gutter gone, the indentation inside it kept. */
function blockText(block: readonly string[]): string[] {
  const out = block.map((line, k) => {
    let text = line;
    if (k === 0) text = text.trim().replace(/^\/\*\*?/, "");
    if (k === block.length - 1) text = text.replace(/\*\/\s*$/, "");
    if (k > 0) text = text.replace(/^\s*\* ?/, "").replace(/^\s*$/, "");
    return k === 0 ? text.trim() : text.trimEnd();
  });
  return trimBlankLines(out.join("\n")).split("\n");
}

function joinProse(a: string, b: string): string {
  return a.trim() === "" ? b : `${a}\n\n${b}`;
}

function trimBlankLines(text: string): string {
  return text.replace(/^(\s*\n)+/, "").replace(/(\n\s*)+$/, "");
}
