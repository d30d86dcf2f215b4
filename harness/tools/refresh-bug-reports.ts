/**
 * Regenerates the pasted grader reports in the bug zoo's READMEs, so they never drift from what
 * the grader really prints: `npx tsx harness/tools/refresh-bug-reports.ts [LAB]`.
 *
 * In each labs/NN-name/bugs/NAME/README.md, the fenced block that starts with
 * `$ npx lab grade NN --impl labs/NN-name/bugs/NAME` is replaced by that command's current output:
 * the table and the first failure report in full; later reports are cut, with a note saying so.
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
  const sections = lines.reduce<number[]>((starts, line, i) => (line.startsWith("── ") ? [...starts, i] : starts), []);
  if (sections.length <= 1) return lines.join("\n");
  const cut = sections[1] as number;
  const rest = sections.length - 1;
  return [...lines.slice(0, cut), `[… ${rest} more failure report${rest === 1 ? "" : "s"} cut here: run the command to see ${rest === 1 ? "it" : "them"}]`].join("\n");
}

const only = process.argv[2];
let changed = 0;
for (const slug of labSlugs()) {
  if (only !== undefined && !slug.startsWith(only)) continue;
  const bugsDir = path.join(LABS_DIR, slug, "bugs");
  if (!existsSync(bugsDir)) continue;
  for (const name of readdirSync(bugsDir)) {
    const readme = path.join(bugsDir, name, "README.md");
    if (!existsSync(readme)) continue;
    const text = readFileSync(readme, "utf8");
    const updated = text.replace(/```\n(\$ npx lab grade [^\n]+)\n[\s\S]*?```/g, (_block, command: string) => `\`\`\`\n${command}\n${reportFor(command)}\n\`\`\``);
    if (updated !== text) {
      writeFileSync(readme, updated);
      changed++;
      console.log(`updated ${path.relative(REPO_ROOT, readme)}`);
    }
  }
}
console.log(`${changed} README(s) updated`);
