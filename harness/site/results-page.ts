/**
 * A lab's "your results" page: each part's state as `lab status` words it (read from
 * .lab/results/ by grade/status.ts, never written), and for a failing part what the learner needs
 * next: the verdict, the command that reprints the full report, and the replays of that seed they
 * already made (.lab/replays/), with the header each trace file starts with and a link to its
 * `--html` drawing when there is one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { LabEntry } from "../grade/labs.ts";
import type { SavedResult } from "../grade/results.ts";
import { describePart, labStatus } from "../grade/status.ts";
import { escapeHtml } from "./markdown.ts";

export interface ReplayFound {
  /** The command that made it, as its first header line says. */
  command: string;
  /** The header's other lines: the verdict, the scenario, the run's extent. */
  header: string[];
  logFile: string;
  htmlFile: string | null;
}

/**
 * The learner's replays of one failing seed, newest first. Replays of the reference solution or of
 * another folder (`--solution`, `--impl`) are left out: this page is about the learner's code.
 */
export function replaysOf(replaysDir: string, labId: string, partId: string, seed: number): ReplayFound[] {
  if (!existsSync(replaysDir)) return [];
  const name = new RegExp(`^${labId}-${partId.replace(/\./g, "\\.")}-seed${seed}(-[0-9a-f]{8})?\\.log$`);
  const found: Array<ReplayFound & { mtimeMs: number }> = [];
  for (const file of readdirSync(replaysDir)) {
    if (!name.test(file)) continue;
    const logFile = path.join(replaysDir, file);
    const header = readHeader(logFile);
    const command = header[0] ?? "";
    if (!command.startsWith("npx lab replay") || /\s--(solution|impl)\b/.test(command)) continue;
    const htmlFile = logFile.replace(/\.log$/, ".html");
    found.push({
      command,
      header: header.slice(1),
      logFile,
      htmlFile: existsSync(htmlFile) ? htmlFile : null,
      mtimeMs: statSync(logFile).mtimeMs,
    });
  }
  found.sort((a, b) => b.mtimeMs - a.mtimeMs);
  return found.map(({ mtimeMs: _, ...replay }) => replay);
}

/** A trace file's header: its leading `# ` lines, without the marker, stopping at the first other line. */
function readHeader(file: string): string[] {
  const head = readFileSync(file, "utf8").slice(0, 16_384).split("\n");
  const lines: string[] = [];
  for (const line of head) {
    if (!line.startsWith("#")) break;
    lines.push(line.replace(/^# ?/, ""));
  }
  return lines;
}

/** Where the page links a replay's files: the site copies them and says at which path. */
export type PublishFile = (absolutePath: string) => string;

export function resultsBody(
  lab: LabEntry,
  saved: SavedResult | null,
  replaysDir: string,
  publish: PublishFile,
): string {
  const dir = path.join(lab.dir, lab.manifest.learnerDir);
  const status = labStatus(lab, dir, saved);
  const when =
    status.lastGradedAt === null
      ? "never graded"
      : `last graded ${status.lastGradedAt.slice(0, 16).replace("T", " ")} UTC`;
  const rows: string[] = [];
  const reports: string[] = [];
  for (const { part, view } of status.parts) {
    const { mark, text } = describePart(lab, part, view);
    const failing = view.kind === "graded" && !view.saved.passed && view.saved.failedSeed !== undefined;
    const cls = mark === "✓" ? "state-pass" : failing ? "state-fail" : "state-other";
    const id = `part-${part.id}`;
    const link = failing ? `<a href="#${escapeHtml(id)}">${escapeHtml(text)}</a>` : escapeHtml(text);
    rows.push(
      `<tr><td class="${cls}">${mark}</td><td>${escapeHtml(part.id)}</td><td>${escapeHtml(part.title)}</td>` +
        `<td>${part.points}</td><td>${link}</td></tr>`,
    );
    if (failing) reports.push(failureReport(lab, part.id, part.title, view.saved, replaysDir, publish, id));
  }
  return [
    `<h1>Lab ${escapeHtml(lab.id)}: your results</h1>`,
    `<p>${escapeHtml(lab.manifest.title)}: ${status.earnedPoints}/${status.totalPoints} points (${escapeHtml(when)}). ` +
      `Read from <code>.lab/results/${escapeHtml(lab.slug)}.json</code>, the file <code>npx lab status</code> reads; ` +
      "reload the page after grading again.</p>",
    `<table><thead><tr><th></th><th>part</th><th>title</th><th>points</th><th>state</th></tr></thead><tbody>${rows.join("")}</tbody></table>`,
    reports.length === 0 ? "" : `<h2>Failing parts</h2>${reports.join("\n")}`,
  ].join("\n");
}

function failureReport(
  lab: LabEntry,
  partId: string,
  title: string,
  saved: { failedSeed?: number; verdict?: string; message?: string },
  replaysDir: string,
  publish: PublishFile,
  id: string,
): string {
  const seed = saved.failedSeed as number;
  const grade = `npx lab grade ${lab.id} --part ${partId} --seed ${seed}`;
  // The seed's first run is the unshrunk failure: replaying it needs no --path.
  const replay = `npx lab replay ${lab.id} --part ${partId} --seed ${seed}`;
  const replays = replaysOf(replaysDir, lab.id, partId, seed).map((found) => {
    const log = `<a href="${escapeHtml(publish(found.logFile))}">full trace</a>`;
    const html =
      found.htmlFile === null
        ? " (no drawing yet: add <code>--html</code> to the command)"
        : `, <a class="replay-html" href="${escapeHtml(publish(found.htmlFile))}">space-time diagram</a>`;
    return (
      `<li><pre><code>${escapeHtml(found.command)}</code></pre>${log}${html}` +
      `<details class="report"><summary>its header: verdict and scenario</summary><pre>${escapeHtml(found.header.join("\n"))}</pre></details></li>`
    );
  });
  const made =
    replays.length === 0
      ? `<p>No replay of this seed yet. The failure report gives the exact command for the shrunk run; ` +
        `the seed's first (unshrunk) run replays with</p><pre><code>${escapeHtml(replay)} --html</code></pre>`
      : `<p>Your replays of this seed, newest first:</p><ul>${replays.join("")}</ul>`;
  return [
    `<section class="failure" id="${escapeHtml(id)}">`,
    `<h3>${escapeHtml(partId)} ${escapeHtml(title)}: seed ${seed}</h3>`,
    `<pre class="verdict">${escapeHtml(saved.message ?? saved.verdict ?? "failed")}</pre>`,
    `<p>The full report, with the exact replay command of the shrunk run:</p><pre><code>${escapeHtml(grade)}</code></pre>`,
    made,
    "</section>",
  ].join("\n");
}
