/**
 * CommitLog.flushTo with an offset past the end of the log, played directly (part D).
 *
 * The contract caps the promise at what was written: every byte below min(offset, writtenOffset)
 * is durable, and flushedOffset is at least that. A flushTo that takes `offset` as it comes moves
 * flushedOffset past the bytes that exist; the next records then lie below it, and a flushTo meant
 * for them returns at once, with nothing fsynced. The reference's flush policies only ask for
 * offsets that were written, but a policy may ask for "everything" with a larger number, and the
 * log's offsets() shows flushedOffset to clients. So part D plays it: append m1, flushTo far past
 * the end, append m2, flushTo(writtenOffset), cut the power, reopen, and both must be there
 * (their ids are m1001 and m1002).
 *
 * Anomalies: "lost write" (m2, or m1, gone after the power loss), "wrong answer" (a call failed with
 * no fault under way).
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { SIM_EPOCH_MS } from "#harness/sim/clock.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import type { CommitLogApi, LogModule } from "./api.ts";
import { type Appended, describeRecord, MessageBook } from "./messages.ts";
import { firstRecords } from "./segment-errors.ts";

const NODE = "direct";
const DIRECT_FIRST_ID = 1001;
const CLIENT = "grader";
const SEGMENT_BYTES = 1024;
/** How far past the end the first flushTo asks: always more than m2's record. */
const PAST_BYTES_MIN = 400;
const PAST_BYTES_MAX = 3000;

export function describeFlushPastEnd(): string {
  return "then, on a log of its own: append m1001, flushTo far past the log's end, append m1002, flushTo(writtenOffset), power loss, read back; append m1003, an fsync fails with EIO, flushTo twice (power loss and read back if one resolved)";
}

export async function checkFlushPastEnd(ctx: TestContext<LogModule>): Promise<Anomaly[]> {
  const rng = ctx.rng.fork("flush-past-end");
  const node = ctx.world.addNode<CommitLogApi>(NODE, (env) =>
    ctx.implFor(env).CommitLog.open(env, { dir: "", segmentBytes: SEGMENT_BYTES }),
  );
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  // Ids from m1001: the log workload's own messages, in the same report, start at m1.
  const book = new MessageBook(rng.fork("messages"), DIRECT_FIRST_ID);
  const failed = (op: Op, why: string): Anomaly[] => [
    anomaly("wrong answer", `${op.f} failed with no fault under way: ${why}.`, [op]),
  ];

  const appended: Appended[] = [];
  const append = async (): Promise<Anomaly[]> => {
    const spec = { topic: rng.int(3), queueId: 0, bodyBytes: 20 + rng.int(120), tagged: false };
    const sent = book.make(spec, SIM_EPOCH_MS + ctx.world.nowMs);
    const result = await recordCallResult(ctx.history, node, (log) => log.append(sent.message), {
      client: CLIENT,
      f: "append",
      input: sent.id,
      onError: "fail",
      output: (stored) => (stored?.record ? `@${stored.record.physicalOffset}` : stored),
    });
    if (result.kind === "threw") return failed(result.op, `it threw ${errorText(result.error)}`);
    if (result.kind === "lost") return failed(result.op, result.op.note ?? "no answer");
    appended.push({ sent, stored: result.value, op: result.op });
    return [];
  };
  const flush = async (past: number): Promise<Op | Anomaly[]> => {
    const result = await recordCallResult(
      ctx.history,
      node,
      async (log) => {
        const writtenAtCall = log.writtenOffset;
        await log.flushTo(writtenAtCall + past);
        return { writtenAtCall, flushedOffset: log.flushedOffset };
      },
      {
        client: CLIENT,
        f: "flushTo",
        input: past === 0 ? "writtenOffset" : `writtenOffset + ${past}`,
        onError: "fail",
        keepOutput: false,
      },
    );
    if (result.kind !== "ok") {
      return failed(result.op, result.kind === "threw" ? `it threw ${errorText(result.error)}` : "no answer");
    }
    const { writtenAtCall, flushedOffset } = result.value;
    if (flushedOffset >= writtenAtCall) return result.op;
    return [
      anomaly(
        "wrong answer",
        `flushTo resolved with flushedOffset at ${flushedOffset}, below ${writtenAtCall}, the log's end when it was called. When flushTo resolves, every byte below min(offset, writtenOffset as it was) is durable, and flushedOffset is at least that.`,
        [result.op],
      ),
    ];
  };

  const first = await append();
  if (first.length > 0) return first;
  const pastFlush = await flush(PAST_BYTES_MIN + rng.int(PAST_BYTES_MAX - PAST_BYTES_MIN));
  if (Array.isArray(pastFlush)) return pastFlush;
  const second = await append();
  if (second.length > 0) return second;
  const lastFlush = await flush(0);
  if (Array.isArray(lastFlush)) return lastFlush;

  ctx.history.nemesis(`${NODE} loses power (unsynced writes may be lost, torn or reordered)`);
  node.powerLoss();
  const restarted = await node.start();
  if (restarted.kind === "error") throw restarted.error;
  const read = await recordCallResult(ctx.history, node, (log) => firstRecords(log, undefined, 4), {
    client: CLIENT,
    f: "records",
    onError: "fail",
    output: (seen) => seen.map((s) => describeRecord(s.record)).join(", ") || "none",
  });
  if (read.kind !== "ok") {
    return failed(read.op, read.kind === "threw" ? `it threw ${errorText(read.error)}` : "no answer");
  }
  for (const [i, want] of appended.entries()) {
    const got = read.value[i];
    const identity = got === undefined ? null : book.identify(got.record);
    if (identity?.kind === "ok" && identity.sent === want.sent) continue;
    return [
      anomaly(
        "lost write",
        `${want.sent.id} is gone after the power loss, though a flushTo that covered it had resolved. ` +
          "flushTo past the end of the log promises only the bytes written (flushedOffset must not pass writtenOffset), " +
          "or the flushes after it think the records appended since are durable already.",
        [want.op, pastFlush, lastFlush, read.op],
      ),
    ];
  }
  return checkFlushAfterEio(ctx, node, append, appended, book);
}

/**
 * After a failed fsync the page cache no longer holds the unsynced bytes, and a second fsync
 * "succeeds" with nothing left to write. So once an fsync of the log failed, every flushTo must
 * reject. Played: append m1003, the next fsync fails with EIO, flushTo, flushTo again; if that
 * second flushTo resolved, the power is cut and m1003 must be there.
 */
async function checkFlushAfterEio(
  ctx: TestContext<LogModule>,
  node: SimNode<CommitLogApi>,
  append: () => Promise<Anomaly[]>,
  appended: Appended[],
  book: MessageBook,
): Promise<Anomaly[]> {
  const added = await append();
  if (added.length > 0) return added;
  const third = appended[appended.length - 1] as Appended;
  ctx.history.nemesis(`${NODE}'s next fsync fails with EIO (the device drops the file's unsynced pages)`);
  ctx.world.node(NODE).disk.failNextFsyncs = 1;
  const flushes: Op[] = [];
  for (let i = 0; i < 2; i++) {
    const result = await recordCallResult(ctx.history, node, (log) => log.flushTo(log.writtenOffset), {
      client: CLIENT,
      f: "flushTo",
      input: "writtenOffset",
      onError: "fail",
      keepOutput: false,
    });
    flushes.push(result.op);
    if (result.kind === "ok") break;
  }
  const last = flushes[flushes.length - 1] as Op;
  if (last.status !== "ok") return []; // every flushTo rejected, as it must: nothing was promised
  ctx.history.nemesis(`${NODE} loses power (unsynced writes may be lost, torn or reordered)`);
  node.powerLoss();
  const restarted = await node.start();
  if (restarted.kind === "error") throw restarted.error;
  const read = await recordCallResult(ctx.history, node, (log) => firstRecords(log, undefined, 4), {
    client: CLIENT,
    f: "records",
    onError: "fail",
    output: (seen) => seen.map((s) => describeRecord(s.record)).join(", ") || "none",
  });
  if (read.kind !== "ok") return [];
  const found = read.value.some((got) => {
    const identity = book.identify(got.record);
    return identity.kind === "ok" && identity.sent === third.sent;
  });
  if (found) return [];
  const retried = flushes.length > 1;
  return [
    anomaly(
      "lost write",
      `${third.sent.id} is gone after the power loss, though flushTo covering it resolved${retried ? ", the second time, after the first failed with EIO" : " while its fsync failed with EIO"}. ` +
        "A failed fsync drops the file's unsynced pages, and a later fsync succeeds with nothing left to write: once any fsync of the log has failed, every flushTo rejects.",
      [third.op, ...flushes, read.op],
    ),
  ];
}
