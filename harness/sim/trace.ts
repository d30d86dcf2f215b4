/**
 * The trace of a simulated run: every event that reached the outside world, in order.
 *
 * Grading keeps a running hash of it (two runs of one seed must give the same hash: the
 * determinism self-check) and, always, the recent past: the last `RECENT_ENTRIES` entries and the
 * last `RECENT_LOG_LINES` of the lab code's own log lines. A run that is stopped (a deadlock, a
 * livelock) is explained from them: what it did most lately, what the learner's code last said.
 * A replay keeps the lines too and writes them to a file, interleaved with the lab code's log
 * lines, so a learner can see what their code thought at each moment; a replay of a run that spins
 * for its whole budget keeps its first and last lines (`KEPT_HEAD_LINES`, `KEPT_TAIL_LINES`).
 *
 * A `TraceRecorder` sees every line as it is recorded. A grading worker hands one that writes into
 * shared memory, so that the trace up to a synchronous loop that never returns can still be read
 * after the worker is terminated (see harness/grade/flight-recorder.ts).
 */

import { Ring } from "./ring.ts";

/** Entries kept for explaining a stopped run (trace lines and log lines together). */
export const RECENT_ENTRIES = 5_000;
/** The lab code's own log lines kept for explaining a stopped run. */
export const RECENT_LOG_LINES = 50;
/** A replay keeps at most this many lines from the start of the run... */
export const KEPT_HEAD_LINES = 50_000;
/** ...and this many from its end. */
export const KEPT_TAIL_LINES = 50_000;

/** A message's journey, attached to the trace entry that ends it (a delivery, or a drop). */
export interface MessageLink {
  from: string;
  to: string;
  /** When it was sent: an arrow on a space-time diagram runs from here to the entry's time. */
  sentAtMs: number;
  fate: "delivered" | "lost" | "partitioned" | "down";
}

/**
 * One kept entry, as data: what `lab replay --html` draws. A log line of the lab code has kind
 * "log", node "-" and the formatted line as its detail.
 */
export interface TraceEntry {
  atMs: number;
  node: string;
  kind: string;
  detail: string;
  link?: MessageLink;
}

/** Sees every line of a trace as it is recorded. */
export interface TraceRecorder {
  /** A run starts: forget the previous one. */
  reset(): void;
  write(line: string): void;
}

export interface TraceOptions {
  /** Keep the lines (bounded: the first and last ones), for replays. */
  keepLines?: boolean;
  recorder?: TraceRecorder;
}

export class Trace {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;
  /** Number of entries recorded (trace lines, not log lines). */
  count = 0;
  private readonly recentEntries = new Ring<string>(RECENT_ENTRIES);
  private readonly recentLogs = new Ring<string>(RECENT_LOG_LINES);
  private readonly head: string[] | null;
  private readonly tail: Ring<string> | null;
  /** The same entries as `head` and `tail`, as data (only with `keepLines`). */
  private readonly headEntries: TraceEntry[] | null;
  private readonly tailEntries: Ring<TraceEntry> | null;
  private readonly recorder: TraceRecorder | undefined;

  constructor(options: TraceOptions = {}) {
    this.head = options.keepLines ? [] : null;
    this.tail = options.keepLines ? new Ring(KEPT_TAIL_LINES) : null;
    this.headEntries = options.keepLines ? [] : null;
    this.tailEntries = options.keepLines ? new Ring(KEPT_TAIL_LINES) : null;
    this.recorder = options.recorder;
    this.recorder?.reset();
  }

  /** An event; `link` (kept as data only, never hashed: the line says the same) for a message's end. */
  record(timeMs: number, node: string, kind: string, detail: string, link?: MessageLink): void {
    this.count++;
    this.keep(`${formatMs(timeMs)} ${node} ${kind} ${detail}`, timeMs, node, kind, detail, link);
  }

  /** A log line written by lab code (already formatted). Hashed too: logs are observable output. */
  recordLog(line: string, atMs = Number.NaN): void {
    this.recentLogs.push(line);
    this.keep(line, atMs, "-", "log", line);
  }

  /** The last entries, oldest first: trace lines and log lines (those start with `{`) together. */
  recent(): string[] {
    return this.recentEntries.toArray();
  }

  /** The lab code's last log lines, oldest first. */
  recentLogLines(): string[] {
    return this.recentLogs.toArray();
  }

  /**
   * The kept lines (only with `keepLines`): all of them, or, past `KEPT_HEAD_LINES +
   * KEPT_TAIL_LINES`, the first and the last with one line that says how many were left out.
   */
  keptLines(): string[] | null {
    if (this.head === null || this.tail === null) return null;
    const tail = this.tail.toArray();
    const omitted = this.tail.pushed - tail.length;
    if (omitted === 0) return [...this.head, ...tail];
    return [...this.head, `... ${omitted} lines left out (the run's first and last lines are kept) ...`, ...tail];
  }

  /**
   * The kept entries as data (only with `keepLines`), with the same bound as `keptLines`, and how
   * many were left out between the first and the last.
   */
  keptEntries(): { entries: TraceEntry[]; omitted: number } | null {
    if (this.headEntries === null || this.tailEntries === null) return null;
    const tail = this.tailEntries.toArray();
    return { entries: [...this.headEntries, ...tail], omitted: this.tailEntries.pushed - tail.length };
  }

  /** The hash of everything recorded, as 16 hex digits. */
  digest(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, "0") + (this.h2 >>> 0).toString(16).padStart(8, "0");
  }

  /** The entry's fields come separately, so that a grade (which keeps no lines) builds no object. */
  private keep(line: string, atMs: number, node: string, kind: string, detail: string, link?: MessageLink): void {
    this.mix(line);
    this.recentEntries.push(line);
    this.recorder?.write(line);
    if (this.head === null || this.tail === null || this.headEntries === null || this.tailEntries === null) return;
    if (this.head.length < KEPT_HEAD_LINES) {
      this.head.push(line);
      this.headEntries.push(entryOf(atMs, node, kind, detail, link));
    } else {
      this.tail.push(line);
      this.tailEntries.push(entryOf(atMs, node, kind, detail, link));
    }
  }

  private mix(text: string): void {
    let a = this.h1;
    let b = this.h2;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    this.h1 = a >>> 0;
    this.h2 = b >>> 0;
  }
}

function entryOf(atMs: number, node: string, kind: string, detail: string, link?: MessageLink): TraceEntry {
  return link === undefined ? { atMs, node, kind, detail } : { atMs, node, kind, detail, link };
}

/** Simulated milliseconds, printed to the microsecond: `12.345ms`. */
export function formatMs(ms: number): string {
  return `${ms.toFixed(3)}ms`;
}
