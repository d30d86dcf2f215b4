/**
 * Part L4.D's checks beyond check-effects.ts: what the Redis window promises, read from what
 * happened at Redis (its command history and incidents) and at the pricing service (every call),
 * never from how the handler is written. The key names are the contract's (`leaseKey`, `doneKey`):
 * Redis's history is this part's observable interface, as committed rows are L4.B's.
 *
 * Anomalies, each with a minimal counterexample:
 * - `lost write`, acknowledged before durable: c2 answered "done" for o1 step 2 at 40 ms, and the
 *   database committed no application of it until 55 ms (or never). Had c2's copy been the last
 *   one, the effect would be lost. (A done mark set before the work, or trusted while the work
 *   still ran, answers so.)
 * - `overlap`, a lease taken from its holder: c1 held lease:o1/2 (until 110 ms on Redis's clock);
 *   c2 removed or overwrote it at 60 ms (a plain DEL, a SET without NX). A lease is released by
 *   its holder only, or it keeps nobody out.
 * - `overlap`, two quotes at once under a live lease: c1 quoted o1/2 from 11 to 31 ms under its
 *   lease; c2 asked Redis about the lease at 15 ms and quoted o1/2 at 20 ms anyway. Overlaps
 *   after a lease expired (a pause outlived it) or was lost to Redis (a restart, an eviction, a
 *   clock jump) are allowed: that is all a lease promises, and the database still deduplicates;
 *   so is quoting without Redis (a consumer that never reached it since the lease was taken).
 *   A lease belongs to a consumer (its value is the consumer id), so two handlers of one consumer
 *   are not told apart.
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { RedisCommand } from "#harness/redis.ts";
import type { RedisIncident, RedisRecord } from "#harness/sim/redis.ts";
import { formatMs } from "#harness/sim/trace.ts";
import { leaseKey } from "../provided.ts";
import type { Application } from "./check-effects.ts";
import type { Deployment } from "./deployment.ts";
import type { QuoteCall } from "./pricing.ts";
import { standInKey, standInKeyOf } from "./stand-ins.ts";

/** One holder's time with a lease key, on Redis's clock. */
export interface Tenure {
  key: string;
  owner: string;
  fromMs: number;
  /** When it would expire (null: never), as last set or extended. */
  deadlineMs: number | null;
  /** When it ended (null: still held at the end of the history). */
  endMs: number | null;
  /** What ended it: its deadline, Redis itself, or a command of some node. */
  endedBy:
    | { kind: "expiry" }
    | { kind: "incident"; what: RedisIncident["what"] }
    | { kind: "command"; nodeId: string; command: RedisCommand }
    | null;
}

/** Replays the lease keys' history: who held which lease when, and what ended each tenure. */
export function tenuresOf(history: readonly RedisRecord[], incidents: readonly RedisIncident[]): Tenure[] {
  type Step = { atMs: number; record?: RedisRecord; incident?: RedisIncident };
  const steps: Step[] = [
    ...history
      .filter((r) => r.command.key.startsWith(leaseKey("")))
      .map((record) => ({ atMs: record.serverMs, record })),
    ...incidents.map((incident) => ({ atMs: incident.serverMs, incident })),
  ].sort((a, b) => a.atMs - b.atMs);
  const all: Tenure[] = [];
  const current = new Map<string, Tenure>();
  const end = (key: string, atMs: number, endedBy: Tenure["endedBy"]): void => {
    const tenure = current.get(key);
    if (tenure === undefined) return;
    tenure.endMs = atMs;
    tenure.endedBy = endedBy;
    current.delete(key);
  };
  const expireUpTo = (atMs: number): void => {
    for (const [key, tenure] of current) {
      // A key is alive while Redis's time is at most its deadline.
      if (tenure.deadlineMs !== null && tenure.deadlineMs < atMs) end(key, tenure.deadlineMs, { kind: "expiry" });
    }
  };
  for (const step of steps) {
    expireUpTo(step.atMs);
    if (step.incident !== undefined) {
      const { incident } = step;
      const keys = incident.what === "restart" ? [...current.keys()] : incident.keys;
      for (const key of keys) end(key, step.atMs, { kind: "incident", what: incident.what });
      continue;
    }
    const record = step.record;
    if (record === undefined) continue;
    const { command, result } = record;
    const byCommand = { kind: "command" as const, nodeId: record.nodeId, command };
    if (command.op === "set" && result === "OK") {
      end(command.key, step.atMs, byCommand);
      const tenure: Tenure = {
        key: command.key,
        owner: record.nodeId,
        fromMs: step.atMs,
        deadlineMs: command.pxMs === null ? null : step.atMs + command.pxMs,
        endMs: null,
        endedBy: null,
      };
      all.push(tenure);
      current.set(command.key, tenure);
    } else if ((command.op === "del" && result === 1) || (command.op === "delIfEquals" && result === true)) {
      end(command.key, step.atMs, byCommand);
    } else if ((command.op === "pexpire" || command.op === "pexpireIfEquals") && result === true) {
      const tenure = current.get(command.key);
      if (command.ms <= 0) end(command.key, step.atMs, byCommand);
      else if (tenure !== undefined) tenure.deadlineMs = step.atMs + command.ms;
    }
  }
  expireUpTo(Number.POSITIVE_INFINITY);
  return all;
}

/** True if the tenure was cut short by another node's command. */
function takenFrom(tenure: Tenure): boolean {
  return tenure.endedBy?.kind === "command" && tenure.endedBy.nodeId !== tenure.owner;
}

/** Alive at `atMs`, or would have been had another node not taken it. */
function rightfullyHeldAt(tenure: Tenure, atMs: number): boolean {
  if (tenure.fromMs > atMs) return false;
  if (tenure.endMs === null || tenure.endMs >= atMs) return true;
  return takenFrom(tenure) && (tenure.deadlineMs === null || tenure.deadlineMs >= atMs);
}

function describeCommand(command: RedisCommand): string {
  switch (command.op) {
    case "set":
      return `SET ${command.key}${command.nx ? " NX" : " without NX"}`;
    case "del":
      return `DEL ${command.key} (a plain DEL: it does not check whose lease it is)`;
    case "delIfEquals":
      return `a compare-and-delete of ${command.key} with the value "${command.value}"`;
    default:
      return `${command.op.toUpperCase()} ${command.key}`;
  }
}

/** A lease removed or overwritten by a node other than its holder, before it expired. */
export function checkTakenLeases(tenures: readonly Tenure[]): Anomaly[] {
  const out: Anomaly[] = [];
  for (const tenure of tenures) {
    if (!takenFrom(tenure) || tenure.endedBy?.kind !== "command" || tenure.endMs === null) continue;
    const until = tenure.deadlineMs === null ? "no expiry" : `until ${formatMs(tenure.deadlineMs)}`;
    out.push(
      anomaly(
        "overlap",
        `${tenure.owner} held ${tenure.key} (taken at ${formatMs(tenure.fromMs)}, ${until} on Redis's clock), and ${tenure.endedBy.nodeId} ended it at ${formatMs(tenure.endMs)} with ${describeCommand(tenure.endedBy.command)}: from then on another consumer can take the key's work while ${tenure.owner} still does it. A lease is taken with SET NX and released only by its holder (compare-and-delete)`,
      ),
    );
  }
  return out;
}

/**
 * Two quotes of one key at once, the later one by a consumer that asked Redis about the lease
 * while the earlier caller held it. A quote `excused` says its handler had just been told Redis
 * could not take its lease command (window.ts: a SET of the lease that failed during that
 * handler's run) is not one: that handler never heard whose the lease was, and the contract lets
 * it work without Redis, the database deciding; another handler of the same consumer may have
 * heard it, and Redis cannot tell two handlers of one consumer apart.
 */
export function checkQuoteOverlaps(
  calls: readonly QuoteCall[],
  tenures: readonly Tenure[],
  history: readonly RedisRecord[],
  excused: (call: QuoteCall) => boolean = () => false,
): Anomaly[] {
  const out: Anomaly[] = [];
  const reported = new Set<string>();
  for (const later of calls) {
    if (excused(later)) continue;
    const lease = leaseKey(later.key);
    for (const earlier of calls) {
      // The lease's owner is a consumer (its value is the consumer id), not one handler: Redis
      // cannot tell two handlers of one consumer apart, and neither can this check.
      if (earlier.nodeId === later.nodeId || earlier.key !== later.key) continue;
      const at = later.startServerMs;
      if (!(earlier.startServerMs <= at && at < earlier.endServerMs)) continue;
      const held = tenures.find(
        (t) =>
          t.key === lease && t.owner === earlier.nodeId && t.fromMs <= earlier.startServerMs && rightfullyHeldAt(t, at),
      );
      if (held === undefined) continue;
      const asked = history.find(
        (r) => r.nodeId === later.nodeId && r.command.key === lease && r.serverMs >= held.fromMs && r.serverMs <= at,
      );
      if (asked === undefined || reported.has(later.key)) continue;
      reported.add(later.key);
      out.push(
        anomaly(
          "overlap",
          `${earlier.nodeId} quoted ${later.key} (message ${earlier.messageId}) from ${formatMs(earlier.startServerMs)} to ${formatMs(earlier.endServerMs)} holding ${lease} (taken at ${formatMs(held.fromMs)}); ${later.nodeId} ran ${describeCommand(asked.command)} at ${formatMs(asked.serverMs)} (answer ${JSON.stringify(asked.result)}) and quoted the same key at ${formatMs(at)} (message ${later.messageId}), while the lease was ${held.owner}'s. Times on Redis's clock. Whoever does not hold the lease must not do the key's work: "retryLater"`,
        ),
      );
    }
  }
  return out;
}

/** "done" answered for an operation the database had not yet committed. */
export function checkEarlyDones(dones: Deployment["dones"], applications: readonly Application[]): Anomaly[] {
  const firstCommitMs = new Map<string, number>();
  for (const application of applications) {
    const key = standInKeyOf(application.row);
    firstCommitMs.set(key, Math.min(firstCommitMs.get(key) ?? Number.POSITIVE_INFINITY, application.committedAtMs));
  }
  const out: Anomaly[] = [];
  const reported = new Set<string>();
  for (const done of dones) {
    const key = standInKey(done.delivery);
    const committedMs = firstCommitMs.get(key);
    if ((committedMs !== undefined && committedMs <= done.atMs) || reported.has(key)) continue;
    reported.add(key);
    const later = committedMs === undefined ? "never did" : `did only at ${formatMs(committedMs)}`;
    out.push(
      anomaly(
        "lost write",
        `${done.consumer} answered "done" for ${key} (message ${done.delivery.messageId}) at ${formatMs(done.atMs)}, but the database had not applied it: it ${later}. Had that been the operation's last copy, its effect would be lost. Answer "done" only once the database said so (the handler answered "done"), or on a done mark set after that`,
      ),
    );
  }
  return out;
}
