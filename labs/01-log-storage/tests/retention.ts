/**
 * Part L1.F: the log under retention and faults (log-workload.ts), then retention over an empty
 * active segment, played directly (and, in their own files, flushTo beside retention and the
 * rebuild of a queue retention emptied: flush-beside-retention.ts, queue-below-start.ts).
 *
 * A segment's age is known from the store time of the first record after it, so retention reads
 * the next segment's first record. The active segment can be empty: a roll creates it, and the
 * record that was to go there can fail (a full disk), or recovery can cut the log at its start.
 * There is then no record after the last full segment, and a retention run that reads one anyway
 * fails with "offset out of range" each time it runs, until the next append. The fault plans reach
 * that state too rarely to count on, so part F makes it on a log of its own: segments of 512 bytes,
 * records until the next one must roll, then a disk with room for the end marker and no more, that
 * append (it fails: the disk is full), room again, deleteExpiredSegments, and one more append.
 * A last retention run then deletes the full segment, and its count must match how far minOffset
 * moved ("returns how many it deleted").
 *
 * Anomalies: "wrong answer" (retention, or a call after it, failed with no fault under way; or
 * retention returned a count other than the segments it deleted).
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { SIM_EPOCH_MS } from "#harness/sim/clock.ts";
import { plural } from "#harness/words.ts";
import { errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import { type CommitLogApi, END_MARKER_BYTES, type LogModule, recordSizeOf } from "./api.ts";
import { checkFlushBesideRetention, describeFlushBesideRetention } from "./flush-beside-retention.ts";
import { describeLogScenario, type LogScenario, runLogWorkload } from "./log-workload.ts";
import { MessageBook } from "./messages.ts";
import { checkQueueBelowStart, describeQueueBelowStart } from "./queue-below-start.ts";
import { expectedOffset } from "./segments.ts";

const NODE = "direct";
const DIRECT_FIRST_ID = 1001;
const CLIENT = "grader";
const SEGMENT_BYTES = 512;
/** The direct run's retention, and how far past every record's store time it runs. */
const RETENTION_MS = 10;
const LATER_MS = 1000;
const APPENDS_MAX = 20;
/** A retention no record of the direct run can outlive. */
const YOUNG_RETENTION_MS = 3_600_000;

export function describeRetentionScenario(scenario: LogScenario): string[] {
  return [
    ...describeLogScenario(scenario),
    "then, on a log of its own (segments of 512 bytes): records until the next one rolls, that append on a full disk, deleteExpiredSegments over the empty active segment it leaves (first with a retention of an hour: nothing may go), one more append, deleteExpiredSegments again (its count compared with how far minOffset moved)",
    describeFlushBesideRetention(),
    describeQueueBelowStart(),
  ];
}

/** Part F: the log workload; then, if nothing broke there, retention over an empty active segment. */
export async function runRetentionWorkload(ctx: TestContext<LogModule>, scenario: LogScenario): Promise<Anomaly[]> {
  const found = await runLogWorkload(ctx, scenario);
  if (found.length > 0) return found;
  const empty = await checkEmptyActiveSegment(ctx);
  if (empty.length > 0) return empty;
  const beside = await checkFlushBesideRetention(ctx);
  return beside.length > 0 ? beside : checkQueueBelowStart(ctx);
}

async function checkEmptyActiveSegment(ctx: TestContext<LogModule>): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const node = world.addNode<CommitLogApi>(NODE, (env) =>
    ctx.implFor(env).CommitLog.open(env, { dir: "", segmentBytes: SEGMENT_BYTES }),
  );
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  const rng = ctx.rng.fork("retention-empty-active");
  // Ids from m1001: the log workload's own messages, in the same report, start at m1.
  const book = new MessageBook(rng.fork("messages"), DIRECT_FIRST_ID);
  const make = () =>
    book.make(
      { topic: rng.int(3), queueId: 0, bodyBytes: 60 + rng.int(100), tagged: false },
      SIM_EPOCH_MS + world.nowMs,
    );
  const failed = (op: Op, why: string, before = ""): Anomaly[] => [
    anomaly("wrong answer", `${op.f} failed with no fault under way${before}: ${why}.`, [op]),
  ];
  const call = <T>(f: string, input: unknown, body: (log: CommitLogApi) => Promise<T>) =>
    recordCallResult(history, node, body, { client: CLIENT, f, input, onError: "fail", keepOutput: false });

  // Records until the next one does not fit: the rules put it at the start of the next segment.
  let written = 0;
  let next = make();
  for (
    let i = 0;
    i < APPENDS_MAX && expectedOffset(written, recordSizeOf(next.message), SEGMENT_BYTES) === written;
    i++
  ) {
    const sent = next;
    const result = await call("append", sent.id, (log) => log.append(sent.message));
    if (result.kind !== "ok") return failed(result.op, result.kind === "threw" ? errorText(result.error) : "no answer");
    written = result.value.record.physicalOffset + result.value.sizeBytes;
    next = make();
  }

  // Room for the end marker, none for the record: the roll happens, the record's write fails.
  const disk = world.node(NODE).disk;
  history.nemesis(`${NODE}'s disk is full but for ${END_MARKER_BYTES} bytes (room for an end marker, not a record)`);
  disk.quotaBytes = disk.usageBytes() + END_MARKER_BYTES;
  const rolled = next;
  const full = await recordCallResult(history, node, (log) => log.append(rolled.message), {
    client: CLIENT,
    f: "append",
    input: rolled.id,
    onError: "info",
    keepOutput: false,
  });
  history.nemesis(`${NODE}'s disk has room again`);
  disk.quotaBytes = null;
  if (full.kind === "lost") return failed(full.op, "no answer");

  const now = SIM_EPOCH_MS + world.nowMs + LATER_MS;
  const retention = (at: number, retentionMs = RETENTION_MS) =>
    call("deleteExpiredSegments", `${at}, ${retentionMs}`, async (log) => {
      const minBefore = log.minOffset;
      const deleted = await log.deleteExpiredSegments(at, retentionMs);
      return { minBefore, deleted, minOffset: log.minOffset };
    });

  // First with a retention no record has outlived: nothing may go, whatever the empty active
  // segment hides (a segment whose age is not known yet is not known to be old).
  const young = await retention(SIM_EPOCH_MS + world.nowMs, YOUNG_RETENTION_MS);
  if (young.kind === "ok" && (young.value.deleted !== 0 || young.value.minOffset !== young.value.minBefore)) {
    return [
      anomaly(
        "wrong answer",
        `deleteExpiredSegments with a retention of ${YOUNG_RETENTION_MS} ms deleted ${plural(young.value.deleted, "segment")} (minOffset ${young.value.minBefore} -> ${young.value.minOffset}), though every record in the log is younger than that. It never deletes a segment holding a record younger than retentionMs; when no record follows a segment yet, its age is not known, and it stays.`,
        [young.op],
      ),
    ];
  }
  const expired = await retention(now);
  if (expired.kind !== "ok") {
    const why = expired.kind === "threw" ? `it threw ${errorText(expired.error)}` : "no answer";
    return failed(
      expired.op,
      `${why}. The active segment may be empty (a roll made it, and the record for it failed on the full disk): ` +
        "no record follows the last full segment yet, so its age is not known, and retention must keep it and go on, not fail",
      " (the disk had room again)",
    );
  }

  const miscounted = wrongCount(expired.op, expired.value);
  if (miscounted.length > 0) return miscounted;

  const last = make();
  const appended = await call("append", last.id, (log) => log.append(last.message));
  if (appended.kind !== "ok") {
    return failed(appended.op, appended.kind === "threw" ? errorText(appended.error) : "no answer", " after retention");
  }
  // That record dates the full segment: retention run later deletes it, and says so.
  const again = await retention(SIM_EPOCH_MS + world.nowMs + LATER_MS);
  if (again.kind !== "ok") {
    return failed(again.op, again.kind === "threw" ? errorText(again.error) : "no answer", " after retention");
  }
  return wrongCount(again.op, again.value);
}

/**
 * "Returns how many it deleted": segments go oldest first and are all SEGMENT_BYTES long, so the
 * count is how far minOffset moved, in segments.
 */
function wrongCount(op: Op, seen: { minBefore: number; deleted: number; minOffset: number }): Anomaly[] {
  const moved = (seen.minOffset - seen.minBefore) / SEGMENT_BYTES;
  if (seen.deleted === moved) return [];
  return [
    anomaly(
      "wrong answer",
      `deleteExpiredSegments returned ${seen.deleted}, but minOffset moved from ${seen.minBefore} to ${seen.minOffset}: ${plural(moved, "segment")} of ${SEGMENT_BYTES} bytes deleted. It returns how many segments it deleted.${seen.deleted > moved ? " Deleting more than minOffset moved past means a segment at or past the log's start went too: the active one, perhaps, which retention never deletes (the records it held are lost, and a new segment starts at the same offset)." : ""}`,
      [op],
    ),
  ];
}
