/**
 * Regenerates the pasted grader reports in the bug zoo's READMEs, so they never drift from what
 * the grader really prints: `npx tsx harness/tools/refresh-bug-reports.ts [LAB]`.
 *
 * In each labs/NN-name/bugs/NAME/README.md, each lab's guide (labs/NN-name/README.md), and in
 * docs/*.md, every fenced block that starts with
 * `$ npx lab grade ...` is replaced by that command's current output: the table and the first
 * failure report in full; later reports are cut, with a note saying so.
 *
 * `--matching TEXT` refreshes only the blocks whose command contains TEXT (say `--part F` after a
 * change to one part's workload), so that the other blocks are not graded again for nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LABS_DIR, labSlugs, REPO_ROOT } from "../grade/labs.ts";

const BIN = path.join(REPO_ROOT, "harness", "bin", "lab.mjs");

function reportFor(command: string): string {
  const args = command.replace(/^\$ npx lab /, "").split(" ");
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  const lines = run.stdout.trimEnd().split("\n");
  const sections = lines.flatMap((line, i) => (line.startsWith("── ") ? [i] : []));
  if (sections.length <= 1) return lines.join("\n");
  const cut = sections[1] as number;
  const rest = sections.length - 1;
  return [
    ...lines.slice(0, cut),
    `[… ${rest} more failure report${rest === 1 ? "" : "s"} cut here: run the command to see ${rest === 1 ? "it" : "them"}]`,
  ].join("\n");
}

function documents(only: string | undefined): string[] {
  const files: string[] = [];
  for (const slug of labSlugs()) {
    if (only !== undefined && !slug.startsWith(only)) continue;
    // The guide's own worked example (its section "Reading a failure report"); its prose around
    // the block names times and seeds, so read it again after a refresh.
    files.push(path.join(LABS_DIR, slug, "README.md"));
    const bugsDir = path.join(LABS_DIR, slug, "bugs");
    if (!existsSync(bugsDir)) continue;
    for (const name of readdirSync(bugsDir)) files.push(path.join(bugsDir, name, "README.md"));
  }
  if (only === undefined) {
    const docs = path.join(REPO_ROOT, "docs");
    for (const name of readdirSync(docs)) if (name.endsWith(".md")) files.push(path.join(docs, name));
  }
  return files.filter((file) => existsSync(file));
}

const args = process.argv.slice(2);
const matchingAt = args.indexOf("--matching");
const matching = matchingAt === -1 ? undefined : args[matchingAt + 1];
if (matchingAt !== -1 && matching === undefined) {
  console.error("--matching needs the text a command must contain");
  process.exit(2);
}
const labArg = args.filter((_, i) => i !== matchingAt && i !== matchingAt + 1)[0];

let changed = 0;
for (const file of documents(labArg)) {
  const text = readFileSync(file, "utf8");
  const updated = text.replace(/```\n(\$ npx lab grade [^\n]+)\n[\s\S]*?```/g, (block, command: string) =>
    matching !== undefined && !command.includes(matching) ? block : `\`\`\`\n${command}\n${reportFor(command)}\n\`\`\``,
  );
  if (updated !== text) {
    writeFileSync(file, updated);
    changed++;
    console.log(`updated ${path.relative(REPO_ROOT, file)}`);
  }
}
console.log(`${changed} document(s) updated`);
