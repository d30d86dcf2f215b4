/**
 * `lab replay --html`: one self-contained HTML page that draws a replayed run as a space-time
 * diagram, the kind Lamport drew and Maelstrom prints: a vertical line per node and per client,
 * simulated time running down, messages as arrows between the lines.
 *
 *   - a client's operations are bars on its line, from invocation to completion, coloured by
 *     outcome; the ones the verdict is about are outlined in red and listed at the top;
 *   - crashes, power losses and pauses are bands on the node's line; faults of the plan are
 *     dashed lines across the diagram, labelled as the text report words them;
 *   - disk calls are ticks beside the node's line (fsyncs longer), messages arrows (a lost or
 *     refused message ends in a cross);
 *   - hovering shows an element's trace line; clicking one shows the lab code's own log lines up
 *     to that moment.
 *
 * Time is folded: a quiet stretch longer than `FOLD_MS` is drawn short and labelled with its
 * length, as the text report abridges quiet stretches. A very long run is cut down to the parts
 * around the flagged operations, and the page says what it left out; the .txt replay beside it
 * has every line. The page needs no network and no server: no fonts, scripts or styles are
 * fetched, the little script it has is inline.
 */
import type { PictureOp, RunPicture } from "../grade/picture.ts";
import type { TraceEntry } from "../sim/trace.ts";
import { plural } from "../words.ts";

/** What the page says above the diagram, in the terminal report's words. */
export interface PageText {
  title: string;
  verdict: string[];
  scenario: string[];
  replayCommand: string;
}

/** Up to this many messages or disk calls, each is labelled in words beside its mark, not only on hover. */
const LABELLED_MAX = 400;

/** Drawn elements of each kind at most, so that a ten-minute run stays a page of a few MB. */
export const DRAWN_MAX = { messages: 2_500, diskCalls: 2_000, ops: 1_200, logLines: 3_000 } as const;

const PX_PER_MS = 40;
/** A quiet stretch longer than this is folded to `FOLD_PX`. */
const FOLD_MS = 4;
const FOLD_PX = 36;
/** Events at the same instant still get this much room, so that they can be told apart. */
const STEP_PX = 6;
const LABELLED_STEP_PX = 11;
const LANE_PX = 260;
const TOP_PX = 60;
const LANE_NAMES_EVERY_PX = 700;
const LEFT_PX = 240;

export function renderHtml(picture: RunPicture, text: PageText): string {
  const drawn = chooseDrawn(picture);
  // An operation's client named for a node's incarnation ("c1#2") is drawn on that node's lane.
  const nodes = new Set(
    drawn.entries.flatMap((e) => (e.link === undefined ? [e.node] : [e.node, e.link.from, e.link.to])),
  );
  const laneOf = (client: string) => {
    const node = client.replace(/#\d+$/, "");
    return node !== client && nodes.has(node) ? node : client;
  };
  const lanes = laneOrder(picture, drawn.entries, laneOf);
  const labelled = drawn.entries.filter((e) => e.link !== undefined || e.kind === "disk").length <= LABELLED_MAX;
  // Labelled marks need a line of text each.
  const axis = new FoldedAxis(drawn.times, TOP_PX, labelled ? LABELLED_STEP_PX : STEP_PX);
  const x = (lane: string) => LEFT_PX + (lanes.indexOf(laneOf(lane)) + 0.5) * LANE_PX;
  const hasLane = (lane: string) => lanes.includes(laneOf(lane));
  const svg: string[] = [];
  // Room on the right for the last lane's labels.
  const width = LEFT_PX + lanes.length * LANE_PX + 160;
  const height = axis.y(Number.POSITIVE_INFINITY) + 40;

  for (const fold of axis.folds) {
    svg.push(`<text class="fold" x="4" y="${fold.y.toFixed(1)}">⋯ ${fold.ms.toFixed(fold.ms < 10 ? 1 : 0)} ms</text>`);
  }
  // The lanes' names again every screenful, so a reader scrolled deep into a run still knows them.
  // At most 100 times down a very long page, so that they cost little of its size.
  const everyPx = Math.max(LANE_NAMES_EVERY_PX, height / 100);
  for (let y = TOP_PX + everyPx; y < height - 40; y += everyPx) {
    for (const lane of lanes) svg.push(`<text class="lane again" x="${x(lane)}" y="${y}">${esc(lane)}</text>`);
  }
  for (const lane of lanes) {
    svg.push(
      `<text class="lane" x="${x(lane)}" y="24">${esc(lane)}</text>`,
      `<line class="lane" x1="${x(lane)}" y1="34" x2="${x(lane)}" y2="${height - 20}"/>`,
    );
  }
  for (const band of bands(drawn.entries, picture.simMs)) {
    if (!hasLane(band.node)) continue;
    const y1 = axis.y(band.fromMs);
    const y2 = Math.max(axis.y(band.toMs), y1 + STEP_PX);
    svg.push(
      `<rect class="band ${band.kind}" x="${x(band.node) - 7}" y="${y1.toFixed(1)}" width="14" height="${(y2 - y1).toFixed(1)}" data-t="${band.fromMs}"><title>${esc(`${band.node} ${band.label}`)}</title></rect>`,
    );
  }
  for (const fault of picture.faults) {
    const y = axis.y(fault.atMs).toFixed(1);
    svg.push(
      `<g class="fault" data-t="${fault.atMs}"><line x1="${LEFT_PX}" y1="${y}" x2="${width - 10}" y2="${y}"/><text x="${LEFT_PX + 4}" y="${Number(y) - 3}">${esc(`${ms(fault.atMs)} ${fault.description}`)}</text><title>${esc(fault.description)}</title></g>`,
    );
  }
  for (const entry of drawn.entries) {
    if (entry.link !== undefined) svg.push(arrow(entry, x, axis, hasLane, labelled));
    else if (entry.kind === "disk" && hasLane(entry.node)) svg.push(diskTick(entry, x(entry.node), axis, labelled));
    else if ((entry.kind === "error" || entry.kind === "fault") && hasLane(entry.node)) {
      svg.push(
        `<circle class="error" cx="${x(entry.node)}" cy="${axis.y(entry.atMs).toFixed(1)}" r="5" data-t="${entry.atMs}"><title>${esc(line(entry))}</title></circle>`,
      );
    }
  }
  for (const op of drawn.ops) svg.push(opBar(op, x(op.client), axis, picture.simMs));

  const logs = drawn.logs.map((entry) => [entry.atMs, entry.detail] as const);
  const flagged = picture.ops.filter((op) => op.flagged);
  return page(
    text,
    drawn.notes,
    flagged,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height.toFixed(0)}" viewBox="0 0 ${width} ${height.toFixed(0)}">${svg.join("")}</svg>`,
    logs,
  );
}

interface Drawn {
  entries: TraceEntry[];
  ops: PictureOp[];
  logs: TraceEntry[];
  times: number[];
  notes: string[];
}

/**
 * What is drawn: everything, for a run of ordinary length; for a long one, the messages, disk
 * calls, operations and log lines nearest the flagged operations (or the run's end, when none is
 * flagged), and every node event and fault.
 */
function chooseDrawn(picture: RunPicture): Drawn {
  const windows = flaggedWindows(picture);
  const distance = (fromMs: number, toMs: number) => {
    let best = Number.POSITIVE_INFINITY;
    for (const [a, b] of windows) best = Math.min(best, toMs < a ? a - toMs : fromMs > b ? fromMs - b : 0);
    return best;
  };
  const notes: string[] = [];
  const keep = <T>(items: T[], max: number, span: (item: T) => [number, number], noun: string): T[] => {
    if (items.length <= max) return items;
    const ranked = items
      .map((item, i) => ({ item, i, d: distance(...span(item)) }))
      .sort((a, b) => a.d - b.d || b.i - a.i)
      .slice(0, max)
      .sort((a, b) => a.i - b.i);
    notes.push(
      `${items.length.toLocaleString("en-US")} ${noun}s in this run: the ${max.toLocaleString("en-US")} nearest the flagged operations are drawn.`,
    );
    return ranked.map((r) => r.item);
  };
  const messages = picture.entries.filter((e) => e.link !== undefined);
  const disk = picture.entries.filter((e) => e.kind === "disk");
  const logs = picture.entries.filter((e) => e.kind === "log");
  const other = new Set(picture.entries.filter((e) => e.link === undefined && e.kind !== "disk" && e.kind !== "log"));
  const keptMessages = new Set(
    keep(messages, DRAWN_MAX.messages, (e) => [e.link?.sentAtMs ?? e.atMs, e.atMs], "message"),
  );
  const keptDisk = new Set(keep(disk, DRAWN_MAX.diskCalls, (e) => [e.atMs, e.atMs], "disk call"));
  const ops = keep(
    picture.ops,
    DRAWN_MAX.ops,
    (op) => [op.invokedAtMs, op.completedAtMs ?? picture.simMs],
    "operation",
  );
  const keptLogs = keep(logs, DRAWN_MAX.logLines, (e) => [e.atMs, e.atMs], "log line");
  if (picture.omittedEntries > 0) {
    notes.push(
      `The replay kept the run's first and last trace lines; ${plural(picture.omittedEntries, "line")} between them are in neither this page nor the .txt.`,
    );
  }
  const entries = picture.entries.filter((e) => keptMessages.has(e) || keptDisk.has(e) || other.has(e));
  const times: number[] = [];
  for (const e of entries) {
    times.push(e.atMs);
    if (e.link !== undefined) times.push(e.link.sentAtMs);
  }
  for (const op of ops) {
    times.push(op.invokedAtMs);
    if (op.completedAtMs !== undefined) times.push(op.completedAtMs);
  }
  for (const f of picture.faults) times.push(f.atMs);
  times.push(0, picture.simMs);
  return { entries, ops, logs: keptLogs, times, notes };
}

/** The time spans of the flagged operations, or the run's last moments when none is flagged. */
function flaggedWindows(picture: RunPicture): [number, number][] {
  const windows = picture.ops
    .filter((op) => op.flagged)
    .map((op): [number, number] => [op.invokedAtMs, op.completedAtMs ?? picture.simMs]);
  return windows.length > 0 ? windows : [[picture.simMs, picture.simMs]];
}

/** Lanes in order of first appearance: clients and nodes alike. */
function laneOrder(picture: RunPicture, entries: TraceEntry[], laneOf: (client: string) => string): string[] {
  const seen: { lane: string; atMs: number }[] = [];
  const add = (lane: string, atMs: number) => {
    if (lane === "-" || lane === "nemesis") return;
    const known = seen.find((s) => s.lane === lane);
    if (known === undefined) seen.push({ lane, atMs });
    else known.atMs = Math.min(known.atMs, atMs);
  };
  for (const op of picture.ops) add(laneOf(op.client), op.invokedAtMs);
  for (const e of entries) {
    add(laneOf(e.node), e.atMs);
    if (e.link !== undefined) {
      add(e.link.from, e.link.sentAtMs);
      add(e.link.to, e.atMs);
    }
  }
  return seen.sort((a, b) => a.atMs - b.atMs).map((s) => s.lane);
}

/**
 * Simulated time to pixels, with quiet stretches folded: between two consecutive moments that
 * something happens, the drawing advances by the gap's length at `PX_PER_MS`, at least
 * `STEP_PX`, and at most `FOLD_PX` (a fold, labelled with its length).
 */
class FoldedAxis {
  private readonly times: number[];
  private readonly ys: number[];
  readonly folds: { y: number; ms: number }[] = [];

  constructor(times: number[], topPx: number, stepPx: number) {
    this.times = [...new Set(times.filter(Number.isFinite))].sort((a, b) => a - b);
    this.ys = [];
    let y = topPx;
    for (let i = 0; i < this.times.length; i++) {
      if (i > 0) {
        const gapMs = (this.times[i] as number) - (this.times[i - 1] as number);
        if (gapMs > FOLD_MS) {
          this.folds.push({ y: y + FOLD_PX / 2 + 4, ms: gapMs });
          y += FOLD_PX;
        } else y += Math.max(stepPx, gapMs * PX_PER_MS);
      }
      this.ys.push(y);
    }
  }

  /** The y of `atMs`: exact for a moment on the axis, interpolated between two. */
  y(atMs: number): number {
    const { times, ys } = this;
    if (times.length === 0) return TOP_PX;
    if (atMs >= (times.at(-1) as number)) return ys.at(-1) as number;
    if (atMs <= (times[0] as number)) return ys[0] as number;
    let lo = 0;
    let hi = times.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((times[mid] as number) <= atMs) lo = mid;
      else hi = mid;
    }
    const t0 = times[lo] as number;
    const t1 = times[hi] as number;
    const share = t1 === t0 ? 0 : (atMs - t0) / (t1 - t0);
    return (ys[lo] as number) + share * ((ys[hi] as number) - (ys[lo] as number));
  }
}

interface Band {
  node: string;
  kind: "down" | "paused";
  fromMs: number;
  toMs: number;
  label: string;
}

/** Down and paused stretches of each node, from its node events in the trace. */
function bands(entries: TraceEntry[], endMs: number): Band[] {
  const open = new Map<string, Band>();
  const done: Band[] = [];
  for (const e of entries) {
    if (e.kind !== "node") continue;
    const key = (kind: string) => `${e.node}/${kind}`;
    if (e.detail.startsWith("crash") || e.detail.startsWith("power loss")) {
      open.set(key("down"), { node: e.node, kind: "down", fromMs: e.atMs, toMs: endMs, label: e.detail });
    } else if (e.detail.startsWith("start")) {
      const band = open.get(key("down"));
      if (band !== undefined) done.push({ ...band, toMs: e.atMs, label: `${band.label}, then ${e.detail}` });
      open.delete(key("down"));
    } else if (e.detail === "pause") {
      open.set(key("paused"), { node: e.node, kind: "paused", fromMs: e.atMs, toMs: endMs, label: "paused" });
    } else if (e.detail === "resume") {
      const band = open.get(key("paused"));
      if (band !== undefined) done.push({ ...band, toMs: e.atMs, label: "paused, then resumed" });
      open.delete(key("paused"));
    }
  }
  return [...done, ...open.values()];
}

function arrow(
  entry: TraceEntry,
  x: (lane: string) => number,
  axis: FoldedAxis,
  hasLane: (lane: string) => boolean,
  labelled: boolean,
): string {
  const link = entry.link as NonNullable<TraceEntry["link"]>;
  if (!hasLane(link.from) || !hasLane(link.to)) return "";
  const x1 = x(link.from);
  const y1 = axis.y(link.sentAtMs);
  let x2 = x(link.to);
  let y2 = axis.y(entry.atMs);
  const delivered = link.fate === "delivered";
  if (link.fate === "lost" || (link.fate === "partitioned" && entry.node === link.from)) {
    // Dropped as it left: a short stub toward the receiver.
    x2 = x1 + (x2 - x1) * 0.35;
    y2 = y1 + 6;
  }
  const cross = delivered
    ? ""
    : `<path class="cross" d="M${x2 - 4},${y2 - 4}L${x2 + 4},${y2 + 4}M${x2 - 4},${y2 + 4}L${x2 + 4},${y2 - 4}"/>`;
  const cls = delivered ? "msg" : "msg dropped";
  // The words after the sender's name: "request #3: send", "reply #3: outOfOrder".
  const words = entry.detail.replace(/ from \S+:? ?| to \S+ /, " ").trim();
  const tag = labelled
    ? `<text class="tag" x="${((x1 + x2) / 2).toFixed(1)}" y="${((y1 + y2) / 2 - 2).toFixed(1)}">${esc(words)}</text>`
    : "";
  return `<g class="${cls}" data-t="${entry.atMs}"><line x1="${x1}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}"${delivered ? ' marker-end="url(#head)"' : ""}/>${cross}${tag}<title>${esc(`${ms(link.sentAtMs)} → ${line(entry)}`)}</title></g>`;
}

function diskTick(entry: TraceEntry, x: number, axis: FoldedAxis, labelled: boolean): string {
  const sync = /^fsync/.test(entry.detail);
  // A failed call ends in its error code: "fsync register.tmp -> EIO" (a rename has an arrow too).
  const failed = / -> E[A-Z]+$/.test(entry.detail);
  const cls = `disk${sync ? " sync" : ""}${failed ? " failed" : ""}`;
  const y = axis.y(entry.atMs).toFixed(1);
  const tag = labelled ? `<text class="tag disk" x="${x + 20}" y="${Number(y) + 3}">${esc(entry.detail)}</text>` : "";
  return `<g class="${cls}" data-t="${entry.atMs}"><line x1="${x + 3}" y1="${y}" x2="${x + (sync ? 16 : 9)}" y2="${y}"/>${tag}<title>${esc(line(entry))}</title></g>`;
}

function opBar(op: PictureOp, laneX: number, axis: FoldedAxis, endMs: number): string {
  const y1 = axis.y(op.invokedAtMs);
  const y2 = Math.max(axis.y(op.completedAtMs ?? endMs), y1 + STEP_PX);
  const cls = `op ${op.status}${op.flagged ? " flagged" : ""}`;
  const label = op.call.length > 28 ? `${op.call.slice(0, 27)}…` : op.call;
  const when =
    op.completedAtMs === undefined
      ? `invoked ${ms(op.invokedAtMs)}, never completed`
      : `${ms(op.invokedAtMs)} .. ${ms(op.completedAtMs)}`;
  return `<g class="${cls}" id="op${op.index}" data-t="${op.invokedAtMs}"><rect x="${laneX - 16}" y="${y1.toFixed(1)}" width="9" height="${(y2 - y1).toFixed(1)}"/><text x="${laneX - 20}" y="${(y1 + 9).toFixed(1)}">${esc(label)}</text><title>${esc(`${op.client}: ${op.outcome}   [${when}]`)}</title></g>`;
}

function page(
  text: PageText,
  notes: string[],
  flagged: PictureOp[],
  svg: string,
  logs: (readonly [number, string])[],
): string {
  const flaggedList =
    flagged.length === 0
      ? ""
      : `<h2>The operations involved</h2><ul>${flagged
          .slice(0, 20)
          .map((op) => `<li><a href="#op${op.index}">${esc(`${op.client}: ${op.outcome}`)}</a></li>`)
          .join("")}</ul>`;
  const logsJson = JSON.stringify(logs).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(text.title)}</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#222}
header{padding:10px 16px;border-bottom:1px solid #ccc;background:#fafafa}
h1{font-size:16px;margin:0 0 6px}h2{font-size:13px;margin:8px 0 2px}
pre{margin:4px 0;white-space:pre-wrap;font:12px/1.35 ui-monospace,monospace}
.verdict{color:#a00}.notes{color:#555}ul{margin:2px 0;padding-left:20px}
#tools{position:sticky;top:0;background:#fff;padding:4px 16px;border-bottom:1px solid #eee;z-index:1}
#wrap{overflow:auto;height:calc(100vh - 40px)}
#panel{position:fixed;right:12px;bottom:12px;width:44%;max-height:40%;overflow:auto;background:#fff;border:1px solid #999;padding:6px 10px;display:none;box-shadow:0 2px 8px #0003}
svg text{font:11px ui-monospace,monospace}
text.lane{text-anchor:middle;font-weight:bold;font-size:12px}text.lane.again{fill:#999}
line.lane{stroke:#bbb;stroke-width:2}
text.fold{fill:#888}
.band.down{fill:#555;opacity:.35}.band.paused{fill:#e9a400;opacity:.4}
.fault line{stroke:#c60;stroke-dasharray:6 4}.fault text{fill:#c60}
.msg line{stroke:#447;stroke-width:1}.msg.dropped line{stroke:#c33;stroke-dasharray:3 3}
.cross{stroke:#c33;stroke-width:2}
.disk line{stroke:#393;stroke-width:1.5}.disk.sync line{stroke:#063;stroke-width:2.5}.disk.failed line{stroke:#c33}
text.tag{font-size:9px;fill:#557;text-anchor:middle}text.tag.disk{fill:#363;text-anchor:start}.failed text.tag{fill:#c33}
.op rect{fill:#9c9;stroke:#363}.op.fail rect{fill:#ccc;stroke:#777}.op.info rect{fill:#ec6;stroke:#a70}
.op.pending rect{fill:#fff;stroke:#c33;stroke-dasharray:3 2}.op text{text-anchor:end;fill:#333}
.op.flagged rect{stroke:#d00;stroke-width:3}.op.flagged text{fill:#d00;font-weight:bold}
circle.error{fill:#d00}
</style></head><body>
<header><h1>${esc(text.title)}</h1>
<pre class="verdict">${esc(text.verdict.join("\n"))}</pre>
${text.scenario.length === 0 ? "" : `<h2>The scenario</h2><pre>${esc(text.scenario.join("\n"))}</pre>`}
${flaggedList}
<pre class="notes">${esc([...notes, `Replay: ${text.replayCommand}`].join("\n"))}</pre></header>
<div id="tools"><button id="zin">zoom in</button> <button id="zout">zoom out</button> <span class="notes">Hover for details; click an element for your code's log lines up to that moment.</span></div>
<div id="wrap">${svg.replace(">", '><defs><marker id="head" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L8,4L0,8z" fill="#447"/></marker></defs>')}</div>
<div id="panel"></div>
<script>
const LOGS=${logsJson};
const svg=document.querySelector("#wrap svg");const w0=+svg.getAttribute("width"),h0=+svg.getAttribute("height");let zoom=1;
function setZoom(z){zoom=Math.min(4,Math.max(.1,z));svg.setAttribute("width",w0*zoom);svg.setAttribute("height",h0*zoom);}
document.getElementById("zin").onclick=()=>setZoom(zoom*1.5);document.getElementById("zout").onclick=()=>setZoom(zoom/1.5);
const panel=document.getElementById("panel");
svg.addEventListener("click",(ev)=>{const el=ev.target.closest("[data-t]");if(!el){panel.style.display="none";return;}
const t=+el.dataset.t;const title=el.querySelector("title");const before=LOGS.filter((l)=>l[0]<=t+1e-6).slice(-12);
panel.textContent="";const h=document.createElement("pre");h.textContent=(title?title.textContent:"")+"\\n\\nyour code's last log lines up to "+t.toFixed(3)+"ms:";panel.appendChild(h);
const p=document.createElement("pre");p.textContent=before.length?before.map((l)=>l[1]).join("\\n"):"(none)";panel.appendChild(p);panel.style.display="block";});
</script></body></html>
`;
}

function line(entry: TraceEntry): string {
  return `${ms(entry.atMs)} ${entry.node} ${entry.kind} ${entry.detail}`;
}

function ms(atMs: number): string {
  return `${atMs.toFixed(3)}ms`;
}

/** Text for HTML and SVG: the five characters that could end or start markup. */
function esc(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
