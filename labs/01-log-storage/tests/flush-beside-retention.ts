/**
 * flushTo and deleteExpiredSegments at the same moment, played directly (part F).
 *
 * A flush walks the segments between flushedOffset and its target, one fsync each, and waits on
 * every one; retention, meanwhile, may drop the oldest segment from the log's list. A flush that
 * walks the live list by index then steps over the segment after the one it was fsyncing: that
 * segment is never fsynced, yet flushTo resolves and flushedOffset passes it. The fault plans do
 * not aim at that moment, so part F makes it on a log of its own (segments of 512 bytes): records
 * that fill two segments, a pause longer than the retention, records in a third, then flushTo(the
 * end) and deleteExpiredSegments called together (in either order), a power cut, and a read of
 * every record retention kept (from minOffset as it left it; how far it goes depends on how it
 * dates a segment). Each of those was covered by a flushTo that resolved, so each must be there.
 *
 * Anomalies: "lost write" (such a record gone), "wrong answer" (a call failed with no fault).
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { SIM_EPOCH_MS } from "#harness/sim/clock.ts";
import { errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import { type CommitLogApi, type LogModule, recordSizeOf } from "./api.ts";
import { type Appended, describeRecord, MessageBook } from "./messages.ts";
import { expectedOffset } from "./segments.ts";

const NODE = "beside";
const FIRST_ID = 2001;
const CLIENT = "grader";
const SEGMENT_BYTES = 512;
const RETENTION_MS = 50;
/** The pause between the old segments' records and the young one's. */
const PAUSE_MS = 200;
const APPENDS_MAX = 40;

export function describeFlushBesideRetention(): string {
  return "then, on another log (segments of 512 bytes): two segments of records, a pause past the retention, a third segment begun, flushTo(the end) and deleteExpiredSegments called together, power loss, read back";
}

export async function checkFlushBesideRetention(ctx: TestContext<LogModule>): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const node = world.addNode<CommitLogApi>(NODE, (env) =>
    ctx.implFor(env).CommitLog.open(env, { dir: "", segmentBytes: SEGMENT_BYTES }),
  );
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  const rng = ctx.rng.fork("flush-beside-retention");
  const book = new MessageBook(rng.fork("messages"), FIRST_ID);
  const failed = (op: Op, why: string): Anomaly[] => [
    anomaly("wrong answer", `${op.f} failed with no fault under way: ${why}.`, [op]),
  ];
  const call = <T>(f: string, input: unknown, body: (log: CommitLogApi) => Promise<T>) =>
    recordCallResult(history, node, body, { client: CLIENT, f, input, onError: "fail", keepOutput: false });

  // Records until the third segment would start, then a pause, then records into the third.
  const appended: Appended[] = [];
  let written = 0;
  let paused = false;
  for (let i = 0; i < APPENDS_MAX; i++) {
    const sent = book.make(
      { topic: rng.int(3), queueId: 0, bodyBytes: 40 + rng.int(120), tagged: false },
      SIM_EPOCH_MS + world.nowMs,
    );
    const at = expectedOffset(written, recordSizeOf(sent.message), SEGMENT_BYTES);
    if (at >= 2 * SEGMENT_BYTES && !paused) {
      history.nemesis(`the log is idle for ${PAUSE_MS} ms (longer than the retention, ${RETENTION_MS} ms)`);
      await world.sleep(PAUSE_MS);
      paused = true;
    }
    const result = await call("append", sent.id, (log) => log.append(sent.message));
    if (result.kind !== "ok") return failed(result.op, result.kind === "threw" ? errorText(result.error) : "no answer");
    appended.push({ sent, stored: result.value, op: result.op });
    written = result.value.record.physicalOffset + result.value.sizeBytes;
    if (at >= 2 * SEGMENT_BYTES && rng.int(3) === 0) break;
  }

  const flushFirst = rng.int(2) === 0;
  const now = () => SIM_EPOCH_MS + world.nowMs;
  const flush = () => call("flushTo", "writtenOffset", (log) => log.flushTo(log.writtenOffset));
  const retention = () =>
    call("deleteExpiredSegments", `now, ${RETENTION_MS}`, async (log) => {
      await log.deleteExpiredSegments(now(), RETENTION_MS);
      return log.minOffset;
    });
  const [flushed, expired] = flushFirst
    ? await Promise.all([flush(), retention()])
    : await Promise.all([retention(), flush()]).then(([e, f]) => [f, e] as const);
  // A flushTo may reject when an fsync fails, and the fsync of a segment retention deleted
  // meanwhile fails (ENOENT): the contract allows that answer. It promised nothing, so there is
  // nothing to check.
  if (flushed.kind !== "ok") return [];
  if (expired.kind !== "ok")
    return failed(expired.op, expired.kind === "threw" ? errorText(expired.error) : "no answer");

  history.nemesis(`${NODE} loses power (unsynced writes may be lost, torn or reordered)`);
  node.powerLoss();
  const restarted = await node.start();
  if (restarted.kind === "error") throw restarted.error;
  // Each record retention had to keep, read where it was acknowledged: a missing one reads as an
  // error (nothing valid there), which is the loss itself, not a failure of the read.
  const start = expired.value;
  const kept = appended.filter((a) => a.stored.record.physicalOffset >= start);
  const read = await call("read", `each record from ${start} on`, async (log) => {
    const seen: Array<{ offset: number; got: string | null }> = [];
    for (const a of kept) {
      const offset = a.stored.record.physicalOffset;
      try {
        const identity = book.identify((await log.read(offset)).record);
        seen.push({ offset, got: identity.kind === "ok" ? identity.sent.id : "another record" });
      } catch {
        seen.push({ offset, got: null });
      }
    }
    return seen;
  });
  if (read.kind !== "ok") return failed(read.op, read.kind === "threw" ? errorText(read.error) : "no answer");
  const lostAt = read.value.findIndex((r, i) => r.got !== kept[i]?.sent.id);
  if (lostAt === -1) return [];
  const lost = kept[lostAt] as Appended;
  const got = read.value[lostAt]?.got;
  return [
    anomaly(
      "lost write",
      `${describeRecord(lost.stored.record)} is gone after the power loss (read(${lost.stored.record.physicalOffset}) ${got === null || got === undefined ? "found no valid record" : `returned ${got}`}), though flushTo(the end) had resolved, and retention had kept its segment (the log started at ${start} after it). flushTo ran beside deleteExpiredSegments: a flush that walks the log's list of segments while retention removes the oldest one from it steps over the next one, which is never fsynced. Walk a copy of the list, or serialize the two.`,
      [lost.op, flushed.op, expired.op, read.op],
    ),
  ];
}
