/**
 * Lab 01's graded parts. (Draft: parts are added as their workloads are written.)
 */
import fc from "fast-check";
import { planArb } from "#harness/faults/plan.ts";
import { definePart } from "#harness/grade/define.ts";
import type { LogModule } from "./api.ts";
import { type CodecScenario, codecScenarioArb, describeCodecScenario, runCodecWorkload } from "./codec.ts";
import { type CutScenario, cutScenarioArb, describeCutScenario, runCutWorkload } from "./cuts.ts";
import { recoveryCrashArb } from "./faults.ts";
import { describeLogScenario, type LogScenario, logScenarioArb, runLogWorkload } from "./log-workload.ts";
import { describeFlushScenario, runFlushWorkload } from "./policy-stop.ts";
import { checkQueueDirect, describeQueueContract } from "./queue-contract.ts";
import { describeQueueScenario, type QueueScenario, queueScenarioArb, runQueueWorkload } from "./queues.ts";
import { describeRetentionScenario, runRetentionWorkload } from "./retention.ts";
import { describeSegmentScenario, runSegmentWorkload, type SegmentScenario, segmentScenarioArb } from "./segments.ts";
import {
  describeThroughputScenario,
  runThroughputWorkload,
  SPEEDUP_MIN,
  THROUGHPUT_DISK,
  type ThroughputScenario,
  throughputScenarioArb,
} from "./throughput.ts";
import {
  describeWritePathScenario,
  PERF_BOUND_MS,
  runWritePathWorkload,
  WRITE_PATH_COST,
  type WritePathScenario,
  writePathScenarioArb,
} from "./write-buffer.ts";

export const partA = definePart<LogModule, CodecScenario>({
  id: "L1.A",
  title: "record format",
  points: 10,
  seeds: 300,
  property:
    "decodeRecord(encodeRecord(r)) is r, with a body of its own; encodeRecord follows the format, and refuses with a RangeError a record the format cannot hold (an empty or over-long topic, over-long properties, a queue id or offset out of range), as encodeEndMarker refuses a size out of range; and every damaged record (a flipped bit, a torn sector, a cut tail, a wrong size) or run of garbage decodes as invalid",
  scenario: codecScenarioArb,
  describe: describeCodecScenario,
  run: runCodecWorkload,
});

export const partB = definePart<LogModule, SegmentScenario>({
  id: "L1.B",
  title: "append, read and roll segments",
  points: 15,
  seeds: 200,
  property:
    "append returns the offset the rules give (records never straddle two segments) and refuses a record too large for a segment (MessageTooLargeError), changing nothing; read returns exactly what was appended; a read or a scan where no record starts throws (RecordNotFoundError inside the log, OffsetOutOfRangeError past its end); and all of it holds across restarts",
  scenario: segmentScenarioArb,
  describe: describeSegmentScenario,
  run: runSegmentWorkload,
});

export const partC = definePart<LogModule, QueueScenario>({
  id: "L1.C",
  title: "consume queues",
  points: 15,
  seeds: 200,
  property:
    "readQueue returns the n-th message appended to a queue (checked against its index entry: an entry rewritten wrong gives CorruptIndexError, never another message nor another tag hash), null past the end, OffsetOutOfRangeError below offset 0, RangeError between two offsets; dispatch writes at the record's queue offset, in any order; after a rebuild the queues agree with the log even when the dispatcher fell behind or the index got ahead of the log, and so does the next open after a flush and a power cut; open refuses fewer than 1 entry per file",
  scenario: queueScenarioArb,
  describe: (scenario) => [...describeQueueScenario(scenario), ...describeQueueContract()],
  run: async (ctx, scenario) => {
    const found = await runQueueWorkload(ctx, scenario);
    return found.length > 0 ? found : checkQueueDirect(ctx);
  },
});

const NODES = ["n1"];
const WINDOW_MS = 150;

export const partD = definePart<LogModule, LogScenario>({
  id: "L1.D",
  title: "flush and acknowledgement",
  points: 15,
  seeds: 400,
  property:
    "with synchronous flush no acknowledged message is ever lost; with asynchronous flush only messages acknowledged shortly before a power cut or a failed fsync may be, and never one before a message that survived; under power loss, crashes, fsync EIO and a full disk, the log works again once they heal; a stopped flush policy rejects every later acknowledge at once",
  scenario: logScenarioArb({
    flush: fc.oneof(
      fc.constant({ mode: "sync" as const }),
      fc.record({ mode: fc.constant("async" as const), intervalMs: fc.constantFrom(2, 5, 10) }),
    ),
    clients: { min: 3, max: 6 },
    opsPerClient: { min: 6, max: 18 },
    gapMs: { max: 8 },
    weights: { append: 8, read: 2, readQueue: 1 },
    maxBodyBytes: 700,
    plan: planArb({
      nodes: NODES,
      windowMs: WINDOW_MS,
      kinds: ["powerLoss", "crash", "fsyncFails", "diskFull"],
      eventsMin: 1,
      eventsMax: 4,
      outageMsMax: 20,
    }),
    cleanRestarts: { windowMs: WINDOW_MS, max: 1 },
  }),
  describe: describeFlushScenario,
  run: runFlushWorkload,
});

/** Part E plays either the whole log under faults, or truncateTo on its own (cuts.ts). */
export type RecoveryScenario = { kind: "log"; log: LogScenario } | { kind: "cut"; cut: CutScenario };

const recoveryLogArb = logScenarioArb({
  flush: fc.constant({ mode: "manual" as const }),
  clients: { min: 2, max: 4 },
  opsPerClient: { min: 6, max: 18 },
  gapMs: { max: 8 },
  weights: { append: 7, read: 2, readQueue: 2, flush: 2 },
  maxBodyBytes: 700,
  plan: planArb({
    nodes: NODES,
    windowMs: WINDOW_MS,
    kinds: ["powerLoss", "crash", "flipReads"],
    eventsMin: 1,
    eventsMax: 4,
    outageMsMax: 20,
  }),
  recoveryCrashes: { arb: recoveryCrashArb(WINDOW_MS), max: 2 },
  cleanRestarts: { windowMs: WINDOW_MS, max: 1 },
});

export const partE = definePart<LogModule, RecoveryScenario>({
  id: "L1.E",
  title: "recovery",
  points: 20,
  seeds: 400,
  property:
    "after crashes, power losses (torn, lost and reordered writes), flipped bits and crashes during recovery itself, the log holds every flushed message at its offset, keeps no record after a lost one, reads back nothing that was not appended, rebuilds its queues dense, and accepts appends again; and truncateTo's cut is durable once it resolves (no power loss brings back what it removed), safe to make again after a crash, and the next record goes where it left the log's end",
  scenario: fc.oneof(
    { weight: 3, arbitrary: recoveryLogArb.map((log) => ({ kind: "log" as const, log })) },
    { weight: 1, arbitrary: cutScenarioArb.map((cut) => ({ kind: "cut" as const, cut })) },
  ),
  describe: (scenario) =>
    scenario.kind === "log" ? describeLogScenario(scenario.log) : describeCutScenario(scenario.cut),
  run: (ctx, scenario) =>
    scenario.kind === "log" ? runLogWorkload(ctx, scenario.log) : runCutWorkload(ctx, scenario.cut),
});

export const partF = definePart<LogModule, LogScenario>({
  id: "L1.F",
  title: "retention",
  points: 10,
  seeds: 300,
  property:
    "deleteExpiredSegments deletes segments whose messages are all older than the retention time and never the active one; a read below the log's start says 'offset out of range', never returns garbage; nothing else is lost, across crashes and power loss",
  scenario: logScenarioArb({
    flush: fc.constant({ mode: "sync" as const }),
    clients: { min: 1, max: 2 },
    opsPerClient: { min: 10, max: 24 },
    gapMs: { max: 25 },
    weights: { append: 6, read: 2, readQueue: 1, expire: 2 },
    maxBodyBytes: 900,
    retentionMs: 40,
    plan: planArb({ nodes: NODES, windowMs: 300, kinds: ["powerLoss", "crash"], eventsMax: 3, outageMsMax: 20 }),
    cleanRestarts: { windowMs: 300, max: 1 },
  }),
  describe: describeRetentionScenario,
  run: runRetentionWorkload,
});

export const partG = definePart<LogModule, ThroughputScenario>({
  id: "L1.G",
  title: "throughput: group commit and constant-cost lookups",
  points: 5,
  seeds: 10,
  property: `with 64 producers and a 1 ms fsync, synchronous appends are at least ${SPEEDUP_MIN} times faster than one fsync per message, and a queue lookup costs a constant number of disk reads however long the queue`,
  scenario: throughputScenarioArb,
  describe: describeThroughputScenario,
  world: { disk: THROUGHPUT_DISK },
  run: runThroughputWorkload,
});

export const partH = definePart<LogModule, WritePathScenario>({
  id: "L1.H",
  title: "write path: a write buffer",
  points: 10,
  seeds: 150,
  property: `1,000 appends of 1 KiB under async flush, then a flush, take at most ${PERF_BOUND_MS} simulated ms on the calibrated disk model; reads see bytes still in the write buffer, an fsync covers every byte written before it was called, and a crash keeps a prefix of what was written; and the whole log with write buffers keeps every acknowledged message a buffer allows it to keep, under crashes, power loss, fsync EIO and a full disk`,
  scenario: writePathScenarioArb,
  describe: describeWritePathScenario,
  world: { disk: { cost: WRITE_PATH_COST } },
  run: runWritePathWorkload,
});
