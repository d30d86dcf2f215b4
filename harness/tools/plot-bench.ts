/**
 * Draws lab 01's benchmark figures as an SVG, by hand (no plotting dependency): throughput against
 * producers under group commit, and against record size under async flush, for the log without a
 * write buffer and with one, next to the disk's limit and to one fsync per record. Both axes are logarithmic: the figures span three decades.
 *
 *     npm run bench -- labs                     # writes .bench/01-log-storage.json
 *     npx tsx harness/tools/plot-bench.ts [IN.json] [OUT.svg]
 *
 * Defaults: .bench/01-log-storage.json and docs/img/bench-01-log-storage.svg.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { LogBenchFigures } from "../../labs/01-log-storage/bench.ts";

const PANEL_WIDTH = 360;
const PANEL_HEIGHT = 328;
/** Room under each panel for its x label and a legend of up to five lines. */
const LEGEND_TOP = 266;
const MARGIN = { left: 56, right: 16, top: 40, bottom: 112 };
const COLOURS = { limit: "#444", log: "#1f6fb2", buffered: "#1e8449", raw: "#c0392b", model: "#8e44ad" };

interface Point {
  x: number;
  y: number;
}

interface Series {
  label: string;
  colour: string;
  points: Point[];
  dashed?: boolean;
}

/** Powers of ten (and their halves' neighbours 2 and 5) between lo and hi, for a log axis. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(lo)); decade <= hi; decade *= 10) {
    for (const m of [1, 2, 5]) if (decade * m >= lo && decade * m <= hi) ticks.push(decade * m);
  }
  return ticks;
}

const fmt = (n: number): string => (n >= 1000 ? `${n / 1000}k` : String(n));
const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** The log with its write buffer (part H), when the run measured it. */
function buffered(f: LogBenchFigures, points: (b: NonNullable<LogBenchFigures["buffered"]>) => Point[]): Series[] {
  const b = f.buffered;
  if (b === undefined) return [];
  const size =
    b.writeBufferBytes >= 1024 * 1024 ? `${b.writeBufferBytes / 1024 / 1024} MiB` : `${b.writeBufferBytes / 1024} KiB`;
  return [{ label: `log with a ${size} write buffer`, colour: COLOURS.buffered, points: points(b) }];
}

/** The cost model's line, dashed, when a model was given (none without one). */
function prediction(points: Point[] | undefined): Series[] {
  return points === undefined
    ? []
    : [{ label: "the cost model's prediction", colour: COLOURS.model, points, dashed: true }];
}

/** One panel: log-log axes, lines with dots, a legend, at (originX, 0). */
function panel(
  originX: number,
  title: string,
  xLabel: string,
  xTicks: readonly number[],
  yRange: readonly [number, number],
  series: readonly Series[],
): string {
  const w = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const h = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const [xLo, xHi] = [Math.min(...xTicks), Math.max(...xTicks)];
  const [yLo, yHi] = yRange;
  const sx = (x: number) =>
    originX + MARGIN.left + ((Math.log(x) - Math.log(xLo)) / (Math.log(xHi) - Math.log(xLo))) * w;
  const sy = (y: number) => MARGIN.top + h - ((Math.log(y) - Math.log(yLo)) / (Math.log(yHi) - Math.log(yLo))) * h;
  const parts: string[] = [
    `<text x="${originX + PANEL_WIDTH / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${originX + MARGIN.left}" y="${MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (const t of logTicks(yLo, yHi)) {
    parts.push(
      `<line x1="${originX + MARGIN.left}" x2="${originX + MARGIN.left + w}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${originX + MARGIN.left - 4}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    parts.push(`<text x="${sx(t).toFixed(1)}" y="${MARGIN.top + h + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(
    `<text x="${originX + MARGIN.left + w / 2}" y="${MARGIN.top + h + 32}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(${originX + 14} ${MARGIN.top + h / 2}) rotate(-90)" text-anchor="middle">MB/s</text>`,
  );
  series.forEach((s, i) => {
    const d = s.points.map((p, j) => `${j === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
    const dash = s.dashed === true ? ' stroke-dasharray="5 4"' : "";
    parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${dash}/>`);
    for (const p of s.points) {
      parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.colour}"/>`);
    }
    const ly = LEGEND_TOP + i * 14;
    parts.push(
      `<line x1="${originX + MARGIN.left + 8}" x2="${originX + MARGIN.left + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"${dash}/>`,
      `<text x="${originX + MARGIN.left + 28}" y="${ly}">${esc(s.label)}</text>`,
    );
  });
  return parts.join("\n");
}

/** The whole picture, from the benchmark's figures. */
export function benchSvg(f: LogBenchFigures): string {
  const m = f.model;
  const all = [
    f.diskLimitMBps,
    f.fsyncPerRecordMBps,
    f.asyncMBps,
    ...f.groupCommit.map((g) => g.MBps),
    ...f.asyncByRecordSize.map((s) => s.MBps),
    ...(f.buffered === undefined
      ? []
      : [...f.buffered.groupCommit, ...f.buffered.asyncByRecordSize].map((g) => g.MBps)),
    ...(m === undefined ? [] : [...m.groupCommit.map((g) => g.MBps), ...m.asyncByRecordSize.map((s) => s.MBps)]),
  ];
  const yRange = [
    10 ** Math.floor(Math.log10(Math.min(...all))),
    10 ** Math.ceil(Math.log10(Math.max(...all) * 1.5)),
  ] as const;
  const producers = f.groupCommit.map((g) => g.producers);
  const flat = (y: number, xs: readonly number[]) => [
    { x: Math.min(...xs), y },
    { x: Math.max(...xs), y },
  ];
  const left = panel(0, "Sync flush: group commit", "producers", producers, yRange, [
    {
      label: "disk's limit (1 MiB writes)",
      colour: COLOURS.limit,
      points: flat(f.diskLimitMBps, producers),
      dashed: true,
    },
    {
      label: "log, a write call per record",
      colour: COLOURS.log,
      points: f.groupCommit.map((g) => ({ x: g.producers, y: g.MBps })),
    },
    ...buffered(f, (b) => b.groupCommit.map((g) => ({ x: g.producers, y: g.MBps }))),
    { label: "one fsync per record", colour: COLOURS.raw, points: flat(f.fsyncPerRecordMBps, producers), dashed: true },
    ...prediction(m?.groupCommit.map((g) => ({ x: g.producers, y: g.MBps }))),
  ]);
  const sizes = f.asyncByRecordSize.map((s) => s.recordBytes);
  const right = panel(PANEL_WIDTH, "Async flush: record size", "record bytes", sizes, yRange, [
    { label: "disk's limit (1 MiB writes)", colour: COLOURS.limit, points: flat(f.diskLimitMBps, sizes), dashed: true },
    {
      label: "log, a write call per record",
      colour: COLOURS.log,
      points: f.asyncByRecordSize.map((s) => ({ x: s.recordBytes, y: s.MBps })),
    },
    ...buffered(f, (b) => b.asyncByRecordSize.map((s) => ({ x: s.recordBytes, y: s.MBps }))),
    ...prediction(m?.asyncByRecordSize.map((s) => ({ x: s.recordBytes, y: s.MBps }))),
  ]);
  const caption = `lab 01 reference log on node:fs, ${f.date.slice(0, 10)}, ${f.machine}, load average ${f.loadAverage.start.toFixed(1)} to ${f.loadAverage.end.toFixed(1)}`;
  const width = 2 * PANEL_WIDTH;
  const height = PANEL_HEIGHT + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    left,
    right,
    `<text x="${width / 2}" y="${height - 4}" text-anchor="middle" fill="#666">${esc(caption)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const input = process.argv[2] ?? path.join(".bench", "01-log-storage.json");
  const output = process.argv[3] ?? path.join("docs", "img", "bench-01-log-storage.svg");
  const figures = JSON.parse(readFileSync(input, "utf8")) as LogBenchFigures;
  mkdirSync(path.dirname(output), { recursive: true });
  writeFileSync(output, benchSvg(figures));
  console.log(`wrote ${output} from ${input}`);
}
