/**
 * Lab 01's graded parts. (Draft: parts are added as their workloads are written.)
 */
import { definePart } from "#harness/grade/define.ts";
import type { LogModule } from "./api.ts";
import { type CodecScenario, codecScenarioArb, describeCodecScenario, runCodecWorkload } from "./codec.ts";
import { describeQueueScenario, type QueueScenario, queueScenarioArb, runQueueWorkload } from "./queues.ts";
import { describeSegmentScenario, runSegmentWorkload, type SegmentScenario, segmentScenarioArb } from "./segments.ts";

export const partA = definePart<LogModule, CodecScenario>({
  id: "L1.A",
  title: "record format",
  points: 10,
  seeds: 200,
  property:
    "decodeRecord(encodeRecord(r)) is r, encodeRecord follows the format, and every damaged record (a flipped bit, a torn sector, a cut tail, a wrong size) or run of garbage decodes as invalid",
  scenario: codecScenarioArb,
  describe: describeCodecScenario,
  run: runCodecWorkload,
});

export const partB = definePart<LogModule, SegmentScenario>({
  id: "L1.B",
  title: "append, read and roll segments",
  points: 15,
  seeds: 150,
  property:
    "append returns the offset the rules give (records never straddle two segments), read returns exactly what was appended, a read where no record starts throws, and all of it holds across restarts",
  scenario: segmentScenarioArb,
  describe: describeSegmentScenario,
  run: runSegmentWorkload,
});

export const partC = definePart<LogModule, QueueScenario>({
  id: "L1.C",
  title: "consume queues",
  points: 15,
  seeds: 150,
  property:
    "readQueue returns the n-th message appended to a queue (checked against its index entry), null past the end; and after a rebuild the queues agree with the log even when the dispatcher fell behind or the index got ahead of the log",
  scenario: queueScenarioArb,
  describe: describeQueueScenario,
  run: runQueueWorkload,
});
