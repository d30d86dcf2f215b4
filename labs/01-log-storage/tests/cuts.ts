/**
 * Part L1.E, the cut on its own: `CommitLog.truncateTo`, as recovery uses it, and what a power loss
 * does to a cut afterwards. The grader plays recovery: it appends records and flushes them (so they
 * are durable), cuts the log at a record boundary (sometimes crashing in the middle of the cut and
 * cutting again after the restart, as the next recovery would), appends and flushes a few records
 * past the cut, then cuts the power and reopens the log, which believes its files as they are.
 *
 * What must hold, from truncateTo's contract: once it resolves, the cut is durable (no power loss
 * brings back a byte or a segment it removed) and everything before the cut is untouched; the next
 * record goes exactly where the cut left the log's end; and a flushTo after the cut makes the new
 * records durable (flushedOffset moved back to the cut).
 *
 * Anomalies:
 *   stale read     bytes the cut removed came back after a power loss.
 *                  append m1..m6, flushTo; truncateTo(300); <power loss>; the log ends at 540 again
 *   lost write     a record before the cut, or one appended and flushed after it, is gone.
 *                  truncateTo(300); append m7 -> @300, flushTo; <power loss>; m7 is not there
 *   wrong answer   the first record after the cut is not where the cut left the log's end.
 */
import fc from "fast-check";
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { SIM_EPOCH_MS } from "#harness/sim/clock.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { plural } from "#harness/words.ts";
import { errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import { type CommitLogApi, type LogModule, queueKey, type StoredRecord } from "./api.ts";
import { type Appended, describeRecord, MessageBook, type MessageSpec } from "./messages.ts";
import { expectedOffset, specArb } from "./segments.ts";

export interface CutScenario {
  segmentBytes: number;
  /** Appended and flushed before the cut. */
  before: MessageSpec[];
  /** The cut is at the start of this record of `before` (its length: at the end of the log). */
  cutAt: number;
  /** A crash or power loss this far into the cut, which is then made again after the restart. */
  interrupt: { delayMs: number; kind: "crash" | "powerLoss" } | null;
  /** Appended and flushed after the cut, before the power loss (none: the power goes right after the cut). */
  after: MessageSpec[];
  /**
   * Before the cut, truncateTo is asked for an end outside the log, which it must refuse with a
   * RangeError, changing nothing: this many bytes past the log's end, or (negative) below its start.
   */
  outside: number | null;
}

export const cutScenarioArb: fc.Arbitrary<CutScenario> = fc
  .record({
    segmentBytes: fc.constantFrom(1024, 2048),
    before: fc.array(specArb(700), { minLength: 1, maxLength: 14 }),
    cutAt: fc.nat({ max: 1000 }),
    interrupt: fc.option(
      fc.record({
        delayMs: fc.integer({ min: 0, max: 40 }).map((n) => n / 20),
        kind: fc.constantFrom("crash" as const, "powerLoss" as const),
      }),
      { freq: 3 },
    ),
    // Half the time none: a flush after the cut would make it durable too, and hide a cut that is not.
    after: fc.oneof(fc.constant<MessageSpec[]>([]), fc.array(specArb(300), { minLength: 1, maxLength: 4 })),
    outside: fc.option(
      fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 3000 }), fc.integer({ min: -3000, max: -1 })),
      {
        freq: 3,
      },
    ),
  })
  .map((s) => ({ ...s, cutAt: s.cutAt % (s.before.length + 1) }));

export function describeCutScenario(scenario: CutScenario): string[] {
  const interrupt = scenario.interrupt;
  const outside = scenario.outside;
  return [
    ...(outside === null
      ? []
      : [
          `before the cut, truncateTo is asked to cut ${outside > 0 ? `${outside} bytes past the log's end` : `at ${outside}, below the log's start`}, which it must refuse`,
        ]),
    ...(interrupt === null
      ? []
      : [
          `n1 ${interrupt.kind === "crash" ? "crashes" : "loses power"} ${interrupt.delayMs} ms into the cut, restarts, and the cut is made again`,
        ]),
    scenario.after.length === 0
      ? "n1 loses power right after the cut, and restarts"
      : "n1 loses power once the records appended after the cut are flushed, and restarts",
    `workload: segments of ${scenario.segmentBytes} bytes; ${scenario.before.length} appends and a flushTo; ` +
      `truncateTo at the start of record ${scenario.cutAt + 1}${scenario.cutAt === scenario.before.length ? " (the end of the log)" : ""}; ` +
      `${scenario.after.length === 0 ? "no appends after it" : `${scenario.after.length} appends and a flushTo`}; then the log is reopened and read back with records()`,
  ];
}

const NODE = "n1";
/** The grader playing the broker that appends, and recovery that cuts. */
const WRITER = "writer";
const RECOVERY = "recovery";

class CutRun {
  readonly book: MessageBook;
  constructor(
    readonly ctx: TestContext<LogModule>,
    readonly node: SimNode<CommitLogApi>,
  ) {
    this.book = new MessageBook(ctx.rng.fork("messages"));
  }

  /** A call that no fault explains must succeed: its failure is the anomaly. */
  async step<T>(
    client: string,
    f: string,
    input: unknown,
    body: (log: CommitLogApi) => Promise<T>,
    output?: (value: T) => unknown,
  ): Promise<T | Anomaly> {
    const result = await recordCallResult(this.ctx.history, this.node, body, {
      client,
      f,
      input,
      onError: "fail",
      ...(output === undefined ? { keepOutput: false } : { output }),
    });
    if (result.kind === "ok") return result.value;
    const why = result.kind === "threw" ? `it threw ${errorText(result.error)}` : (result.op.note ?? "no answer");
    return anomaly("wrong answer", `${f}(${input ?? ""}) failed with no fault under way: ${why}.`, [result.op]);
  }

  async append(spec: MessageSpec): Promise<Appended | Anomaly> {
    const sent = this.book.make(spec, SIM_EPOCH_MS + this.ctx.world.nowMs);
    const result = await recordCallResult(this.ctx.history, this.node, (log) => log.append(sent.message), {
      client: WRITER,
      f: "append",
      input: `${sent.id} to ${sent.message.topic}/${sent.message.queueId}`,
      onError: "fail",
      output: (stored) => (stored?.record ? `@${stored.record.physicalOffset} #${stored.record.queueOffset}` : stored),
    });
    if (result.kind === "ok") return { sent, stored: result.value, op: result.op };
    const why = result.kind === "threw" ? `it threw ${errorText(result.error)}` : (result.op.note ?? "no answer");
    return anomaly("wrong answer", `append(${sent.id}) failed with no fault under way: ${why}.`, [result.op]);
  }

  async restart(why: string): Promise<void> {
    this.ctx.history.nemesis(`${NODE} restarts${why}`);
    const booted = await this.node.start();
    if (booted.kind === "error") throw booted.error;
  }
}

function isAnomaly(value: unknown): value is Anomaly {
  return typeof value === "object" && value !== null && "name" in value && "explanation" in value;
}

export async function runCutWorkload(ctx: TestContext<LogModule>, scenario: CutScenario): Promise<Anomaly[]> {
  const S = scenario.segmentBytes;
  const node = ctx.world.addNode<CommitLogApi>(NODE, (env) =>
    ctx.implFor(env).CommitLog.open(env, { dir: "", segmentBytes: S }),
  );
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  const run = new CutRun(ctx, node);

  const before: Appended[] = [];
  for (const spec of scenario.before) {
    const appended = await run.append(spec);
    if (isAnomaly(appended)) return [appended];
    before.push(appended);
  }
  const last = before.at(-1) as Appended;
  const written = last.stored.record.physicalOffset + last.stored.sizeBytes;
  const flushed = await recordCallResult(ctx.history, node, (log) => log.flushTo(log.writtenOffset), {
    client: WRITER,
    f: "flushTo",
    input: written,
    onError: "fail",
    keepOutput: false,
  });
  if (flushed.kind !== "ok") {
    return [anomaly("wrong answer", `flushTo(${written}) failed with no fault under way.`, [flushed.op])];
  }

  if (scenario.outside !== null) {
    const refused = await checkCutOutside(run, scenario.outside > 0 ? written + scenario.outside : scenario.outside);
    if (refused.length > 0) return refused;
  }

  const kept = before.slice(0, scenario.cutAt);
  const cut = before.slice(scenario.cutAt);
  const end = cut[0]?.stored.record.physicalOffset ?? written;
  const cutOp = await cutTheLog(run, scenario, end, flushed.op);
  if (isAnomaly(cutOp)) return [cutOp];

  // Recovery numbers the queues again from what the log kept.
  const offsets = new Map<string, number>();
  for (const k of kept)
    offsets.set(queueKey(k.sent.message.topic, k.sent.message.queueId), k.stored.record.queueOffset + 1);
  const set = await run.step(RECOVERY, "setQueueOffsets", plural(offsets.size, "queue"), async (log) =>
    log.setQueueOffsets(offsets),
  );
  if (isAnomaly(set)) return [set];

  const after: Appended[] = [];
  let logEnd = end;
  for (const spec of scenario.after) {
    const appended = await run.append(spec);
    if (isAnomaly(appended)) return [appended];
    const at = expectedOffset(logEnd, appended.stored.sizeBytes, S);
    if (appended.stored.record.physicalOffset !== at) {
      return [
        anomaly(
          "wrong answer",
          `after truncateTo(${end}), append put ${appended.sent.id} at ${appended.stored.record.physicalOffset}; it belongs at ${at}: ${whereFrom(logEnd, appended.stored.sizeBytes, S, end)}.`,
          [appended.op],
        ),
      ];
    }
    logEnd = at + appended.stored.sizeBytes;
    after.push(appended);
  }
  let flushOp: Op | null = null;
  if (after.length > 0) {
    const result = await recordCallResult(ctx.history, node, (log) => log.flushTo(log.writtenOffset), {
      client: WRITER,
      f: "flushTo",
      input: logEnd,
      onError: "fail",
      keepOutput: false,
    });
    flushOp = result.op;
    if (result.kind !== "ok")
      return [anomaly("wrong answer", `flushTo(${logEnd}) failed with no fault under way.`, [result.op])];
  }

  ctx.history.nemesis(`${NODE} loses power (unsynced writes may be lost, torn or reordered)`);
  node.powerLoss();
  await run.restart(": the log is opened again, believing its files as they are");
  return readBack(run, { end, logEnd, kept, cut, after, cutOp, flushOp });
}

/** truncateTo(end) with `end` outside [minOffset, writtenOffset]: its contract says RangeError, changing nothing. */
async function checkCutOutside(run: CutRun, end: number): Promise<Anomaly[]> {
  const result = await recordCallResult(
    run.ctx.history,
    run.node,
    // The refusal is caught here: a RangeError reaching the harness would be taken for a crash of the code.
    (log) =>
      log.truncateTo(end).then(
        () => null,
        (error: unknown) => {
          // Only the refusal is an answer; anything else (NotImplemented, a DiskError) goes on as thrown.
          if (error instanceof Error && error.name === "RangeError") return "RangeError";
          throw error;
        },
      ),
    {
      client: RECOVERY,
      f: "truncateTo",
      input: end,
      onError: "fail",
      output: (threw) => (threw === null ? "resolved" : `threw ${threw}`),
    },
  );
  if (result.kind === "lost" || (result.kind === "ok" && result.value === "RangeError")) return [];
  const where = end < 0 ? "below the log's start" : "past the log's end";
  const rule = `${end} is ${where}, and truncateTo's contract asks for a RangeError, changing nothing, outside [minOffset, writtenOffset]`;
  return [
    anomaly(
      "wrong answer",
      result.kind === "threw"
        ? `truncateTo(${end}) threw ${errorText(result.error)}; ${rule}.`
        : result.value === null
          ? `truncateTo(${end}) resolved; ${rule}.`
          : `truncateTo(${end}) threw ${result.value}; ${rule}.`,
      [result.op],
    ),
  ];
}

/**
 * truncateTo(end), perhaps cut short by a crash and then made again after the restart. Returns the
 * call whose cut must be durable, or what went wrong.
 */
async function cutTheLog(run: CutRun, scenario: CutScenario, end: number, flushOp: Op): Promise<Op | Anomaly> {
  const { world, history } = run.ctx;
  const interrupt = scenario.interrupt;
  if (interrupt !== null) {
    world.at(world.nowMs + interrupt.delayMs, "a crash during the cut", () => {
      if (!run.node.isUp) return;
      history.nemesis(
        `${NODE} ${interrupt.kind === "crash" ? "crashes (process killed)" : "loses power (unsynced writes may be lost, torn or reordered)"} ${interrupt.delayMs} ms into the cut`,
      );
      if (interrupt.kind === "crash") run.node.crash();
      else run.node.powerLoss();
    });
  }
  const first = await recordCallResult(history, run.node, (log) => log.truncateTo(end), {
    client: RECOVERY,
    f: "truncateTo",
    input: end,
    onError: "fail",
    keepOutput: false,
  });
  if (first.kind === "threw") {
    return anomaly("wrong answer", `truncateTo(${end}) threw ${errorText(first.error)} with no fault under way.`, [
      first.op,
    ]);
  }
  if (interrupt === null) return first.op;
  // Let the crash land if the cut finished first: the next recovery cuts again either way.
  await world.sleep(Math.max(0, interrupt.delayMs + 0.05));
  if (run.node.isUp) run.node.crash();
  await run.restart(": recovery cuts the log again, at the same place");
  const ends = await run.step(
    RECOVERY,
    "writtenOffset",
    undefined,
    async (log) => log.writtenOffset,
    (n) => n,
  );
  if (isAnomaly(ends)) return ends;
  if (ends < end) {
    return anomaly(
      "lost write",
      `after the ${interrupt.kind === "crash" ? "crash" : "power loss"} during truncateTo(${end}), the log ends at ${ends}: records before the cut, flushed (flushTo resolved), are gone. ` +
        "Either the cut removed more than it was asked to, or a segment's name was never made durable (fsync makes a file's bytes durable, not its name: open and roll must fsync the directory).",
      [flushOp, first.op],
    );
  }
  const again = await recordCallResult(history, run.node, (log) => log.truncateTo(end), {
    client: RECOVERY,
    f: "truncateTo",
    input: end,
    onError: "fail",
    keepOutput: false,
  });
  if (again.kind === "ok") return again.op;
  const why = again.kind === "threw" ? `it threw ${errorText(again.error)}` : (again.op.note ?? "no answer");
  return anomaly(
    "wrong answer",
    `truncateTo(${end}), made again after a crash in the middle of the first, failed: ${why}. A cut must be safe to make again.`,
    [first.op, again.op],
  );
}

interface CutOutcome {
  end: number;
  logEnd: number;
  kept: Appended[];
  cut: Appended[];
  after: Appended[];
  /** The truncateTo that resolved: from then on the cut is durable. */
  cutOp: Op;
  flushOp: Op | null;
}

/** After the power loss: the log holds exactly what was kept and what was appended since, nothing more. */
async function readBack(run: CutRun, outcome: CutOutcome): Promise<Anomaly[]> {
  const { end, logEnd, kept, cut, after } = outcome;
  const result = await recordCallResult(
    run.ctx.history,
    run.node,
    async (log) => {
      const seen: StoredRecord[] = [];
      let error: unknown = null;
      try {
        for await (const stored of log.records()) {
          seen.push(stored);
          if (seen.length > kept.length + cut.length + after.length + 2) break;
        }
      } catch (e) {
        error = e;
      }
      return { writtenOffset: log.writtenOffset, seen, error };
    },
    {
      client: "reader",
      f: "records",
      onError: "fail",
      output: (r) =>
        `${r.seen.length} records${r.error === null ? "" : `, then ${errorText(r.error)}`}; the log ends at ${r.writtenOffset}`,
    },
  );
  if (result.kind !== "ok") {
    return [
      anomaly("wrong answer", "reading the log back after the restart failed with no fault under way.", [result.op]),
    ];
  }
  const { writtenOffset, seen, error } = result.value;
  const readOp = result.op;
  const cutIds = new Map(cut.map((c) => [c.sent.id, c]));
  const cutWords = `truncateTo(${end}) resolved, so the cut was durable`;

  for (const stored of seen) {
    const identity = run.book.identify(stored.record);
    const gone = identity.kind === "garbage" ? undefined : cutIds.get(identity.sent.id);
    if (gone !== undefined) {
      return [
        anomaly(
          "stale read",
          `after the power loss the log holds ${describeRecord(stored.record)} again, which the cut had removed: ${cutWords}. ` +
            "The truncation (and the deletion of later segments) must reach the disk before truncateTo resolves.",
          [gone.op, outcome.cutOp, readOp],
        ),
      ];
    }
  }
  const expected = [...kept, ...after];
  for (const [i, want] of expected.entries()) {
    const got = seen[i];
    if (got !== undefined && idMatches(run, got, want)) continue;
    const isAfter = i >= kept.length;
    const why = isAfter
      ? `it was appended after the cut, and flushTo(${logEnd}) resolved before the power loss (after a cut, flushedOffset must move back to it, or the next flush skips the new records)`
      : `it was before the cut at ${end}, and flushTo resolved before the cut (fsync makes a file's bytes durable, not its name: open and roll must fsync the directory)`;
    const instead =
      got === undefined
        ? error === null
          ? `records() ended after ${plural(seen.length, "record")}`
          : `records() threw ${errorText(error)}`
        : `records() yielded ${describeRecord(got.record)} in its place`;
    const ops = isAfter && outcome.flushOp !== null ? [want.op, outcome.flushOp, readOp] : [want.op, readOp];
    return [
      anomaly(
        "lost write",
        `${want.sent.id} @${want.stored.record.physicalOffset} is gone after the power loss (${instead}): ${why}.`,
        ops,
      ),
    ];
  }
  if (seen.length > expected.length || error !== null || writtenOffset !== logEnd) {
    const what =
      seen.length > expected.length
        ? `records() yielded ${describeRecord((seen[expected.length] as StoredRecord).record)} past it`
        : error !== null
          ? `records() went on past it and threw ${errorText(error)}`
          : `the reopened log ends at ${writtenOffset}`;
    return [
      anomaly(
        "stale read",
        `after the power loss the log should end at ${logEnd}, after the records kept and appended since the cut; ${what}: bytes the cut had removed came back. ${cutWords}.`,
        [outcome.cutOp, readOp],
      ),
    ];
  }
  return [];
}

/** Why the rules put a record of `size` bytes where they do, when the log ends at `logEnd`. */
function whereFrom(logEnd: number, size: number, segmentBytes: number, end: number): string {
  const ended = logEnd === end ? `the cut left the log's end at ${end}` : `the log ended at ${logEnd}`;
  const segmentEnd = Math.floor(logEnd / segmentBytes) * segmentBytes + segmentBytes;
  return expectedOffset(logEnd, size, segmentBytes) === logEnd
    ? `${ended}, and the record fits there (a cut moves writtenOffset back to where the log now ends)`
    : `${ended}, and ${size} bytes plus an end marker do not fit before the segment's end at ${segmentEnd}, so it starts the next segment`;
}

/** `got` is `want`'s message, intact, at the offset it was appended at. */
function idMatches(run: CutRun, got: StoredRecord, want: Appended): boolean {
  const identity = run.book.identify(got.record);
  return (
    identity.kind === "ok" &&
    identity.sent === want.sent &&
    got.record.physicalOffset === want.stored.record.physicalOffset
  );
}
