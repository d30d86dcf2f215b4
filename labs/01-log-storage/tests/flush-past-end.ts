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
  return "then, on a log of its own: append m1001, flushTo far past the log's end, append m1002, flushTo(writtenOffset), power loss, read back";
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
    const result = await recordCallResult(ctx.history, node, (log) => log.flushTo(log.writtenOffset + past), {
      client: CLIENT,
      f: "flushTo",
      input: past === 0 ? "writtenOffset" : `writtenOffset + ${past}`,
      onError: "fail",
      keepOutput: false,
    });
    if (result.kind === "ok") return result.op;
    return failed(result.op, result.kind === "threw" ? `it threw ${errorText(result.error)}` : "no answer");
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
  return [];
}
