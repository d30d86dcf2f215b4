/**
 * Part L1.B: the commit log on its own: append, read by offset, roll to a new segment, reopen.
 * No faults: one client, one call at a time, and a restart now and then (every write has
 * completed by then, so the files are exactly what was written).
 *
 * The checker knows the rules exactly, so it predicts every offset:
 *   - a record goes where the last one ended, unless it does not fit in what is left of the
 *     segment with room for an end marker after it; then it goes at the start of the next segment;
 *   - queue offsets count 0, 1, 2, ... per topic and queue.
 *
 * Anomalies:
 *   wrong answer   an offset, a size or a field is not what the rules say.
 *                  append(m3) -> @1990, 120 bytes: split across the segments [0, 2048) and [2048, 4096)
 *   garbage read   a read at an offset where no record starts returned one.
 *                  read(1300) -> a record, but 1300 is inside m5 (1200 .. 1499)
 *   lost write     a record appended earlier cannot be read back.
 */
import fc from "fast-check";
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { SIM_EPOCH_MS } from "#harness/sim/clock.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { plural } from "#harness/words.ts";
import { errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import {
  type CommitLogApi,
  END_MARKER_BYTES,
  type LogModule,
  type MessageRecord,
  queueKey,
  RECORD_OVERHEAD_BYTES,
  recordSizeOf,
  type StoredRecord,
} from "./api.ts";
import {
  type Appended,
  difference,
  idOf,
  MessageBook,
  type MessageSpec,
  type SentMessage,
  sameBytes,
} from "./messages.ts";
import { checkBadRead, checkScanInside, checkTooLarge, firstRecords, readCall } from "./segment-errors.ts";

export type SegmentOp =
  | { kind: "append"; spec: MessageSpec }
  | { kind: "read"; pick: number }
  | { kind: "readInside"; pick: number; into: number }
  | { kind: "readPast"; beyond: number }
  | { kind: "scan" }
  | { kind: "scanInside"; pick: number; into: number }
  | { kind: "appendTooLarge"; spec: MessageSpec; overBytes: number }
  /**
   * A record sized at a limit of the rules: `fill`, exactly what is left of the active segment
   * with room for the end marker (or, when too little is left for any record, `largest`);
   * `largest`, exactly maxRecordBytes, the most a segment holds.
   */
  | { kind: "appendExact"; spec: MessageSpec; size: "fill" | "largest" }
  | { kind: "restart" };

export interface SegmentScenario {
  segmentBytes: number;
  /** Before the run, CommitLog.open is asked for segments of this size, which it must refuse. */
  badSegmentBytes: number | null;
  ops: SegmentOp[];
}

/** What open must refuse: not a whole number, or below the contract's least segment size (512). */
const BAD_SEGMENT_BYTES = [511, 256, 0, -1024, 1024.5, Number.NaN];

export function specArb(maxBodyBytes: number, queues = 2): fc.Arbitrary<MessageSpec> {
  return fc.record({
    topic: fc.integer({ min: 0, max: 2 }),
    queueId: fc.integer({ min: 0, max: queues - 1 }),
    bodyBytes: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 8, max: 200 }) },
      { weight: 1, arbitrary: fc.integer({ min: 8, max: maxBodyBytes }) },
    ),
    tagged: fc.boolean(),
  });
}

const pick = fc.nat({ max: 1_000_000 });

export const segmentScenarioArb: fc.Arbitrary<SegmentScenario> = fc
  // 512: the least size open accepts.
  .constantFrom(512, 1024, 1536, 2048)
  .chain((segmentBytes) =>
    fc.record({
      segmentBytes: fc.constant(segmentBytes),
      badSegmentBytes: fc.option(fc.constantFrom(...BAD_SEGMENT_BYTES), { freq: 3 }),
      ops: fc.array(
        fc.oneof(
          {
            weight: 8,
            arbitrary: fc.record({ kind: fc.constant("append" as const), spec: specArb(segmentBytes - 128) }),
          },
          { weight: 3, arbitrary: fc.record({ kind: fc.constant("read" as const), pick }) },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant("readInside" as const),
              pick,
              into: fc.double({ min: 0, max: 1, minExcluded: true, maxExcluded: true, noNaN: true }),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant("readPast" as const),
              // 0 is writtenOffset itself, the first offset past the end.
              beyond: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
            }),
          },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant("scan" as const) }) },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant("scanInside" as const),
              pick,
              into: fc.double({ min: 0, max: 1, minExcluded: true, maxExcluded: true, noNaN: true }),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant("appendTooLarge" as const),
              spec: specArb(8),
              overBytes: fc.integer({ min: 1, max: 400 }),
            }),
          },
          {
            weight: 2,
            arbitrary: fc.record({
              kind: fc.constant("appendExact" as const),
              spec: specArb(8),
              size: fc.constantFrom("fill" as const, "largest" as const),
            }),
          },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
        ),
        { minLength: 10, maxLength: 50 },
      ),
    }),
  );

export function describeSegmentScenario(scenario: SegmentScenario): string[] {
  const count = (kind: SegmentOp["kind"]) => scenario.ops.filter((op) => op.kind === kind).length;
  const reads = count("read") + count("readInside") + count("readPast");
  const scans = count("scan") + count("scanInside");
  return [
    "(no faults; restarts happen between calls, when every write has completed)",
    ...(scenario.badSegmentBytes === null
      ? []
      : [`first, CommitLog.open is asked for segments of ${scenario.badSegmentBytes} bytes, which it must refuse`]),
    `workload: segments of ${scenario.segmentBytes} bytes; ${plural(count("append") + count("appendExact"), "append")} ` +
      `(${count("appendExact")} of them sized to fill a segment exactly; and ${count("appendTooLarge")} too large for a segment), ` +
      `${plural(reads, "read")}, ${plural(scans, "scan")}, ${plural(count("restart"), "restart")}`,
  ];
}

const NODE = "n1";
const CLIENT = "client";

/** Plays the scenario and returns what the checks found (the first broken rule ends the run). */
export async function runSegmentWorkload(ctx: TestContext<LogModule>, scenario: SegmentScenario): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const S = scenario.segmentBytes;
  if (scenario.badSegmentBytes !== null) {
    const refused = await checkBadConfig(ctx, scenario.badSegmentBytes);
    if (refused.length > 0) return refused;
  }
  const node = world.addNode(NODE, (env) => ctx.implFor(env).CommitLog.open(env, { dir: "", segmentBytes: S }));
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  const book = new MessageBook(ctx.rng.fork("messages"));
  const appended: Appended[] = [];
  const nextQueueOffset = new Map<string, number>();
  let written = 0;

  for (const step of scenario.ops) {
    let found: Anomaly[] = [];
    switch (step.kind) {
      case "append":
      case "appendExact": {
        const recordBytes = step.kind === "append" ? undefined : exactSize(step.size, written, S);
        const sent = book.make(step.spec, SIM_EPOCH_MS + world.nowMs, recordBytes);
        const result = await recordCallResult(history, node, (log) => log.append(sent.message), {
          client: CLIENT,
          f: "append",
          input: describeSentShort(sent),
          onError: "info",
          output: (stored) => summarizeStored(stored),
        });
        if (result.kind !== "ok") return [unexpectedFailure(result.op)];
        found = checkAppend(sent, result.value, result.op, S, written, nextQueueOffset.get(key(sent)) ?? 0);
        if (found.length === 0) {
          appended.push({ sent, stored: result.value, op: result.op });
          written = result.value.record.physicalOffset + result.value.sizeBytes;
          nextQueueOffset.set(key(sent), result.value.record.queueOffset + 1);
        }
        break;
      }
      case "read": {
        const target = appended[step.pick % Math.max(1, appended.length)];
        if (target !== undefined) found = await checkRead(node, ctx, target);
        break;
      }
      case "readInside": {
        const inside = insideOf(appended, step);
        if (inside !== null) found = await checkBadRead(node, ctx, inside.offset, inside.why, false, [inside.op]);
        break;
      }
      case "readPast": {
        const offset = written + step.beyond;
        found = await checkBadRead(node, ctx, offset, `the log ends at ${written}`, true, []);
        break;
      }
      case "scan":
        found = await checkScan(node, ctx, appended);
        break;
      case "scanInside": {
        const inside = insideOf(appended, step);
        if (inside !== null) found = await checkScanInside(node, ctx, inside.offset, inside.why, [inside.op]);
        break;
      }
      case "appendTooLarge": {
        // Body bytes enough that the record is `overBytes` past the most a segment holds, or more.
        const bodyBytes = S - END_MARKER_BYTES - RECORD_OVERHEAD_BYTES + step.overBytes;
        found = await checkTooLarge(node, ctx, book.make({ ...step.spec, bodyBytes }, SIM_EPOCH_MS + world.nowMs), S);
        break;
      }
      case "restart":
        found = await restart(node, ctx, nextQueueOffset);
        break;
    }
    if (found.length > 0) return found;
  }
  return [];
}

function key(sent: SentMessage): string {
  return queueKey(sent.message.topic, sent.message.queueId);
}

function span(stored: StoredRecord): string {
  return `${stored.record.physicalOffset} .. ${stored.record.physicalOffset + stored.sizeBytes - 1}`;
}

function describeSentShort(sent: SentMessage): string {
  return `${sent.id} to ${sent.message.topic}/${sent.message.queueId}, ${recordSizeOf(sent.message)}-byte record`;
}

function summarizeStored(stored: StoredRecord): unknown {
  if (typeof stored !== "object" || stored === null || typeof stored.record !== "object") return stored;
  return {
    physicalOffset: stored.record.physicalOffset,
    queueOffset: stored.record.queueOffset,
    sizeBytes: stored.sizeBytes,
  };
}

function unexpectedFailure(op: Op): Anomaly {
  return anomaly(
    "wrong answer",
    `${op.f} failed with no fault anywhere in the run (${op.note ?? "no reason given"}).`,
    [op],
  );
}

/**
 * The record size of an appendExact: what fills the active segment to its last END_MARKER_BYTES
 * (so the record fits, with room for the marker, by no byte to spare), or maxRecordBytes.
 */
function exactSize(size: "fill" | "largest", written: number, segmentBytes: number): number {
  const largest = segmentBytes - END_MARKER_BYTES;
  const segmentEnd = Math.floor(written / segmentBytes) * segmentBytes + segmentBytes;
  const fill = segmentEnd - written - END_MARKER_BYTES;
  // Too little left for a record with its id and properties: fill a whole segment instead.
  return size === "largest" || fill < RECORD_OVERHEAD_BYTES + 64 ? largest : fill;
}

/** CommitLog.open with segments of `segmentBytes`, which its contract says it refuses with a RangeError. */
async function checkBadConfig(ctx: TestContext<LogModule>, segmentBytes: number): Promise<Anomaly[]> {
  // The refusal is caught inside the node: a RangeError reaching the harness would be taken for a crash of the code.
  const node = ctx.world.addNode("n0", (env) => ({
    open: (): Promise<string | null> =>
      ctx
        .implFor(env)
        .CommitLog.open(env, { dir: "", segmentBytes })
        .then(
          () => null,
          (error: unknown) => {
            // Only the refusal is an answer; anything else (NotImplemented, a DiskError) goes on as thrown.
            if (error instanceof Error && error.name === "RangeError") return "RangeError";
            throw error;
          },
        ),
  }));
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  const result = await recordCallResult(ctx.history, node, (opener) => opener.open(), {
    client: CLIENT,
    f: "CommitLog.open",
    input: `segmentBytes ${segmentBytes}`,
    onError: "fail",
    output: (threw) => (threw === null ? "opened" : `threw ${threw}`),
  });
  if (result.kind === "lost" || (result.kind === "ok" && result.value === "RangeError")) return [];
  const rule = "segmentBytes must be a whole number of at least 512 (CommitLog.open's contract)";
  return [
    anomaly(
      "wrong answer",
      result.kind === "threw"
        ? `CommitLog.open with segments of ${segmentBytes} bytes threw ${errorText(result.error)}; ${rule}, so it must throw a RangeError.`
        : result.value === null
          ? `CommitLog.open accepted segments of ${segmentBytes} bytes; ${rule}: it must throw a RangeError.`
          : `CommitLog.open with segments of ${segmentBytes} bytes threw ${result.value}; ${rule}, so it must throw a RangeError.`,
      [result.op],
    ),
  ];
}

/** Where the rules put a record of `size` bytes when the log ends at `written`. */
export function expectedOffset(written: number, size: number, segmentBytes: number): number {
  const segmentEnd = Math.floor(written / segmentBytes) * segmentBytes + segmentBytes;
  return written + size + END_MARKER_BYTES > segmentEnd ? segmentEnd : written;
}

function checkAppend(
  sent: SentMessage,
  stored: StoredRecord,
  op: Op,
  S: number,
  written: number,
  queueOffset: number,
): Anomaly[] {
  const wrong = (text: string): Anomaly[] => [anomaly("wrong answer", text, [op])];
  if (typeof stored !== "object" || stored === null || typeof stored.record !== "object") {
    return wrong("append must return { record, sizeBytes }.");
  }
  const { record, sizeBytes } = stored;
  const size = recordSizeOf(sent.message);
  if (sizeBytes !== size)
    return wrong(`append reported ${sizeBytes} bytes; the record format makes ${sent.id} ${size} bytes.`);
  const differs = difference(sent.message, record);
  if (differs !== null) return wrong(`append returned a record with ${differs}.`);
  const p = record.physicalOffset;
  if (Number.isSafeInteger(p) && Math.floor(p / S) !== Math.floor((p + size - 1) / S)) {
    const boundary = Math.floor(p / S) * S + S;
    return wrong(
      `${sent.id} was written at ${p} .. ${p + size - 1}, across the boundary at ${boundary} between two segment files. ` +
        "A record must never be split: when it does not fit, end the segment with an end marker and start the next one.",
    );
  }
  const expected = expectedOffset(written, size, S);
  if (p !== expected) {
    const segmentEnd = Math.floor(written / S) * S + S;
    const why =
      expected === written
        ? `the record before it ended at ${written}, and ${size} bytes plus an ${END_MARKER_BYTES}-byte end marker fit before the segment's end at ${segmentEnd}`
        : `the record before it ended at ${written}, and ${size} bytes plus an ${END_MARKER_BYTES}-byte end marker do not fit before the segment's end at ${segmentEnd}, so it starts the next segment`;
    return wrong(`append put ${sent.id} at physical offset ${p}; it belongs at ${expected}: ${why}.`);
  }
  if (record.queueOffset !== queueOffset) {
    return wrong(
      `${sent.id} got queue offset ${record.queueOffset}; it is message number ${queueOffset} of ${key(sent)} (queue offsets count 0, 1, 2, ... per queue).`,
    );
  }
  const lowest = Math.floor(SIM_EPOCH_MS + op.invokedAtMs);
  const highest = SIM_EPOCH_MS + (op.completedAtMs ?? op.invokedAtMs);
  if (!(record.storeTimestamp >= lowest && record.storeTimestamp <= highest)) {
    return wrong(
      `${sent.id} got storeTimestamp ${record.storeTimestamp}; it was stored between ${lowest} and ${Math.floor(highest)} (env.clock.now()).`,
    );
  }
  return [];
}

async function checkRead(
  node: SimNode<CommitLogApi>,
  ctx: TestContext<LogModule>,
  target: Appended,
): Promise<Anomaly[]> {
  const offset = target.stored.record.physicalOffset;
  const result = await readCall(node, ctx, offset);
  if (result.kind === "lost") return [unexpectedFailure(result.op)];
  if (result.kind === "threw") {
    return [
      anomaly(
        "lost write",
        `${describeAppend(target)} was appended, but read(${offset}) threw ${errorText(result.error)}.`,
        [target.op, result.op],
      ),
    ];
  }
  return compareStored(target, result.value, result.op, `read(${offset})`);
}

function describeAppend(target: Appended): string {
  return `${target.sent.id} (at ${span(target.stored)})`;
}

/** A record read back against the one append returned: every field, and the size. */
function compareStored(target: Appended, got: StoredRecord, op: Op, what: string): Anomaly[] {
  const ops = [target.op, op];
  if (typeof got !== "object" || got === null || typeof got.record !== "object") {
    return [anomaly("wrong answer", `${what} must return { record, sizeBytes }.`, ops)];
  }
  const id = idOf(got.record);
  if (id !== target.sent.id) {
    return [
      id === null
        ? anomaly(
            "garbage read",
            `${what} returned a record no append wrote; it should be ${describeAppend(target)}.`,
            ops,
          )
        : anomaly("wrong answer", `${what} returned ${id}; it should be ${describeAppend(target)}.`, ops),
    ];
  }
  const expected = target.stored.record;
  const differs = difference(target.sent.message, got.record) ?? sameFields(expected, got.record);
  if (differs !== null)
    return [anomaly("corruption passed through", `${what} returned ${target.sent.id} with ${differs}.`, ops)];
  if (got.sizeBytes !== target.stored.sizeBytes) {
    return [
      anomaly(
        "wrong answer",
        `${what} reported ${got.sizeBytes} bytes for ${target.sent.id}; it has ${target.stored.sizeBytes}.`,
        ops,
      ),
    ];
  }
  return [];
}

/**
 * An offset strictly inside one of the appended records (picked by `pick`, at fraction `into` of
 * its size), why no record starts there, and the append that wrote it; null if there is none.
 */
function insideOf(
  appended: Appended[],
  step: { pick: number; into: number },
): { offset: number; why: string; op: Op } | null {
  const target = appended[step.pick % Math.max(1, appended.length)];
  if (target === undefined) return null;
  const { record, sizeBytes } = target.stored;
  const offset = record.physicalOffset + Math.max(1, Math.floor(step.into * sizeBytes));
  if (offset >= record.physicalOffset + sizeBytes) return null;
  return { offset, why: `${offset} is inside ${target.sent.id}, which spans ${span(target.stored)}`, op: target.op };
}

function sameFields(expected: MessageRecord, got: MessageRecord): string | null {
  for (const field of ["physicalOffset", "queueOffset", "storeTimestamp"] as const) {
    if (got[field] !== expected[field]) return `${field} ${got[field]} instead of ${expected[field]}`;
  }
  if (!sameBytes(got.body, expected.body)) return "a different body";
  return null;
}

async function checkScan(
  node: SimNode<CommitLogApi>,
  ctx: TestContext<LogModule>,
  appended: Appended[],
): Promise<Anomaly[]> {
  const result = await recordCallResult(
    ctx.history,
    node,
    // A few more than were appended, to see records that should not be there, but never for ever.
    (log) => firstRecords(log, undefined, appended.length + 6),
    { client: CLIENT, f: "records", onError: "fail", output: (seen) => `${seen.length} records` },
  );
  if (result.kind === "lost") return [unexpectedFailure(result.op)];
  if (result.kind === "threw") {
    return [
      anomaly(
        "wrong answer",
        `records() threw ${errorText(result.error)} on a log with ${appended.length} intact records.`,
        [result.op],
      ),
    ];
  }
  const seen = result.value;
  for (let i = 0; i < Math.max(seen.length, appended.length); i++) {
    const want = appended[i];
    const got = seen[i];
    if (want === undefined) {
      return [
        anomaly("garbage read", `records() yielded ${seen.length} records; only ${appended.length} were appended.`, [
          result.op,
        ]),
      ];
    }
    if (got === undefined) {
      return [
        anomaly(
          "lost write",
          `records() stopped after ${seen.length} records; ${describeAppend(want)} and the rest of the ${appended.length} are missing.`,
          [want.op, result.op],
        ),
      ];
    }
    const found = compareStored(want, got, result.op, `record ${i} of records()`);
    if (found.length > 0) return found;
  }
  return [];
}

async function restart(
  node: SimNode<CommitLogApi>,
  ctx: TestContext<LogModule>,
  nextQueueOffset: Map<string, number>,
): Promise<Anomaly[]> {
  ctx.history.nemesis(`${NODE} restarts (every write has completed: the files are exactly what was written)`);
  node.crash();
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  // The queue offsets live in the consume queues (part C); here the grader hands them back.
  const offsets = new Map(nextQueueOffset);
  const result = await recordCallResult(ctx.history, node, (log) => log.setQueueOffsets(offsets), {
    client: CLIENT,
    f: "setQueueOffsets",
    input: `${offsets.size} queues`,
    onError: "info",
    keepOutput: false,
  });
  if (result.kind !== "ok") return [unexpectedFailure(result.op)];
  return [];
}
