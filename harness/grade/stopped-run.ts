/**
 * What a stopped run leaves behind, and how a report says it.
 *
 * A run can stop without finishing in three ways, and each needs different evidence:
 *   deadlock  nothing is left to happen and calls are still pending: which calls, on which client,
 *             since when; and the last things that happened before everything stopped;
 *   livelock  events keep coming but the workload never finishes (its budget is spent): the calls
 *             pending longest, and what the run did most lately, counted from the recent trace
 *             with numbers stripped ("p1 net reply from broker: outOfOrder", 1,601 times);
 *   no yield  the event loop is blocked (a synchronous loop): the last things that happened before
 *             it, read from the worker's flight recorder after the watchdog stopped it.
 * All three keep the learner's last log lines: what their code last said is often the whole answer.
 * Everything here is bounded: a few calls, a few kinds of activity, a few lines.
 */
import { formatMs } from "../sim/trace.ts";
import { plural } from "../words.ts";
import { describeCall, type History } from "../workloads/history.ts";

/** A call that never completed. */
export interface PendingCall {
  /** As the learner would write it: `send({"key":"p1-k2","id":"p1/p1-k2#1"})`. */
  call: string;
  client: string;
  sinceMs: number;
}

/** The pending calls, longest pending first: at most `PENDING_SHOWN`, and how many in all. */
export interface Pending {
  calls: PendingCall[];
  count: number;
}

/** One kind of thing the run did, and how often, in the recent trace. */
export interface Activity {
  what: string;
  count: number;
}

/** What the run did most lately. */
export interface Busiest {
  activities: Activity[];
  /** What was counted: the recent trace, or (when little reached it) the events the scheduler ran. */
  counted: "trace entries" | "events";
  /** How many were counted, and the simulated time of the first. */
  entries: number;
  fromMs: number | null;
}

/** An event as the scheduler ran it (harness/sim/scheduler.ts `recentEvents`). */
export interface RunEvent {
  atMs: number;
  owner: string | null;
  label: string;
}

/** The trace kept at the stop: the last events and the learner's last log lines, raw. */
export interface KeptTrace {
  lastEvents: string[];
  logLines: string[];
}

/** What a run that ended with work unfinished leaves behind (see verdict.ts, "not live"). */
export interface Unfinished {
  pending: Pending;
  busiest: Busiest;
  logLines: string[];
}

const PENDING_SHOWN = 3;
const ACTIVITIES_SHOWN = 3;
const EVENTS_SHOWN = 8;
const LOG_LINES_SHOWN = 6;
/**
 * Below this many recent trace entries, the trace says too little about a spinning run (a loop
 * of timers reaches no disk and no network): count the scheduler's events instead.
 */
const TRACE_ENTRIES_MIN = 100;

export function pendingCalls(history: History): Pending {
  const pending = history.pending().sort((a, b) => a.invokedAtMs - b.invokedAtMs);
  return {
    calls: pending
      .slice(0, PENDING_SHOWN)
      .map((op) => ({ call: describeCall(op), client: op.client, sinceMs: op.invokedAtMs })),
    count: pending.length,
  };
}

/** The last events and log lines among `lines` (trace lines and log lines, oldest first). */
export function keepTrace(lines: readonly string[], logLines?: readonly string[]): KeptTrace {
  const events = lines.filter((line) => !isLogLine(line));
  const logs = logLines ?? lines.filter(isLogLine);
  return { lastEvents: events.slice(-EVENTS_SHOWN), logLines: logs.slice(-LOG_LINES_SHOWN) };
}

/**
 * Counts what the run did lately, numbers stripped, and names the most frequent: from the recent
 * trace (what reached disks, networks and the learner's logs), or, when little did, from the
 * events the scheduler ran (timers, deliveries).
 */
export function busiest(recent: readonly string[], events: readonly RunEvent[]): Busiest {
  if (recent.length >= TRACE_ENTRIES_MIN || events.length === 0) {
    const first = recent.find((line) => !isLogLine(line));
    const fromMs = first === undefined ? null : timeOf(first);
    return {
      activities: mostFrequent(recent.map(activityOf)),
      counted: "trace entries",
      entries: recent.length,
      fromMs,
    };
  }
  const keys = events.map((e) => stripNumbers(`${e.label} ${e.owner === null ? "(the workload)" : `on ${e.owner}`}`));
  return { activities: mostFrequent(keys), counted: "events", entries: events.length, fromMs: events[0]?.atMs ?? null };
}

function mostFrequent(keys: readonly string[]): Activity[] {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts]
    .map(([what, count]) => ({ what, count }))
    .sort((a, b) => b.count - a.count || (a.what < b.what ? -1 : 1))
    .slice(0, ACTIVITIES_SHOWN);
}

/**
 * What a trace or log line did, without the numbers that make every line unique: "p1 net reply
 * #812 from broker: outOfOrder" and "... #813 ..." are the same activity.
 */
export function activityOf(line: string): string {
  if (isLogLine(line)) {
    const log = parseLog(line);
    return log === null ? line : `${log.node} log ${log.level} "${log.msg}"`;
  }
  return stripNumbers(line.slice(line.indexOf(" ") + 1));
}

function stripNumbers(text: string): string {
  return text
    .replace(/\bcrc [0-9a-f]+/g, "crc ?")
    .replace(/ ?#\d+/g, "")
    .replace(/(?<![A-Za-z_])\d+(?:\.\d+)?/g, "N");
}

/** The simulated time a trace line starts with, or a log line carries. */
export function timeOf(line: string): number | null {
  if (isLogLine(line)) return parseLog(line)?.simMs ?? null;
  const match = /^(\d+(?:\.\d+)?)ms /.exec(line);
  return match === null ? null : Number(match[1]);
}

function isLogLine(line: string): boolean {
  return line.startsWith("{");
}

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

interface LogLine {
  simMs: number | null;
  node: string;
  level: string;
  msg: string;
  rest: Record<string, unknown>;
}

function parseLog(line: string): LogLine | null {
  try {
    const { level, simMs, node, inc, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
    return {
      simMs: typeof simMs === "number" ? simMs : null,
      node: inc === undefined ? String(node ?? "-") : `${String(node)}#${String(inc)}`,
      level: LEVELS[Number(level)] ?? String(level),
      msg: String(msg ?? ""),
      rest,
    };
  } catch {
    return null;
  }
}

/** A learner's pino line as a report shows it: `12.000ms p1#1 warn send out of order {"queueId":2}`. */
export function formatLogLine(line: string): string {
  const log = parseLog(line);
  if (log === null) return line;
  const time = log.simMs === null ? "" : `${formatMs(log.simMs)} `;
  const rest = Object.keys(log.rest).length === 0 ? "" : ` ${JSON.stringify(log.rest)}`;
  const text = `${time}${log.node} ${log.level} ${log.msg}${rest}`;
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** "still pending: ..." lines, longest pending first. */
export function pendingLines(pending: Pending, heading: string): string[] {
  if (pending.count === 0) return [];
  const more = pending.count - pending.calls.length;
  return [
    `${heading}:`,
    ...pending.calls.map((c) => `  ${c.call} on ${c.client}, started at ${formatMs(c.sinceMs)}`),
    ...(more > 0 ? [`  ... and ${plural(more, "more call")}`] : []),
  ];
}

export function busiestLines(busy: Busiest): string[] {
  if (busy.activities.length === 0) return [];
  const since = busy.fromMs === null ? "" : `, from ${formatMs(busy.fromMs)}`;
  const width = Math.max(...busy.activities.map((a) => a.count.toLocaleString("en-US").length));
  return [
    `what it did most in its last ${busy.entries.toLocaleString("en-US")} ${busy.counted}${since}:`,
    ...busy.activities.map((a) => `  ${a.count.toLocaleString("en-US").padStart(width)} × ${a.what}`),
  ];
}

/** The kept trace in a report: the last events, then the learner's last log lines. */
export function keptLines(kept: KeptTrace, eventsHeading: string): string[] {
  const out: string[] = [];
  if (kept.lastEvents.length > 0) out.push(`${eventsHeading}:`, ...kept.lastEvents.map((line) => `  ${line}`));
  if (kept.logLines.length > 0)
    out.push("your code's last log lines (env.log):", ...kept.logLines.map((line) => `  ${formatLogLine(line)}`));
  else out.push("no log lines from your code (env.log: a grade keeps level info and above, a replay every level)");
  return out;
}

/**
 * One thing repeated at least this many times in the last stretch of a run whose calls never
 * completed: the run did not stand still, it went round in circles (a retry the broker keeps
 * refusing, say), and the report calls it what it is.
 */
const LIVELOCK_REPEATS_MIN = 100;

/** The evidence under a liveness anomaly: the calls still pending, the busiest activity, the logs. */
export function unfinishedLines(unfinished: Unfinished): string[] {
  const top = unfinished.busiest.activities[0];
  const circling = unfinished.pending.count > 0 && top !== undefined && top.count >= LIVELOCK_REPEATS_MIN;
  return [
    ...(circling
      ? [
          `a livelock: events kept coming until the run's deadline (${top.count.toLocaleString("en-US")} × ${top.what} in its last stretch), but ${plural(unfinished.pending.count, "call")} never completed`,
        ]
      : []),
    ...pendingLines(unfinished.pending, "still pending when the run ended"),
    ...busiestLines(unfinished.busiest),
    ...keptLines({ lastEvents: [], logLines: unfinished.logLines }, "the last things that happened"),
  ];
}
