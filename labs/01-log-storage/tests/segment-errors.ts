/**
 * Part L1.B, the errors the commit log's contract names: what it must refuse, and how it must say
 * that nothing is where a caller looked. Callers tell these apart by name (the provided log, lab
 * 02's broker, a consumer): "out of range" means the offset is not in the log, "not found" that it
 * is inside the log but no record starts there, "too large" that the message can never be stored.
 *
 * Anomalies:
 *   garbage read   a read or a scan at an offset where no record starts returned a record.
 *                  read(1300) -> a record, but 1300 is inside m5 (1200 .. 1499)
 *   wrong answer   the wrong error, or none: read(1300) threw OffsetOutOfRangeError; a record of
 *                  2100 bytes was appended to segments of 2048; records(1300) ended quietly.
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { type CallResult, errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import {
  type CommitLogApi,
  END_MARKER_BYTES,
  isOutOfRange,
  type LogModule,
  recordSizeOf,
  type StoredRecord,
} from "./api.ts";
import { describeRecord, type SentMessage } from "./messages.ts";

const CLIENT = "client";

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/**
 * A read where no record starts: past the log's end it must throw OffsetOutOfRangeError; inside a
 * record, RecordNotFoundError. Never a record.
 */
export async function checkBadRead(
  node: SimNode<CommitLogApi>,
  ctx: TestContext<LogModule>,
  offset: number,
  why: string,
  outOfRange: boolean,
  related: Op[],
): Promise<Anomaly[]> {
  const expected = outOfRange ? "OffsetOutOfRangeError" : "RecordNotFoundError";
  const result = await readCall(node, ctx, offset);
  if (result.kind === "lost") {
    return [anomaly("wrong answer", `read(${offset}) failed with no fault under way.`, [result.op])];
  }
  if (result.kind === "ok") {
    return [
      anomaly(
        "garbage read",
        `read(${offset}) returned a record, but ${why}: no record starts there. It must throw ${expected} instead.`,
        [...related, result.op],
      ),
    ];
  }
  if (!isNamed(result.error, expected)) {
    return [
      anomaly(
        "wrong answer",
        `read(${offset}) threw ${errorText(result.error)}; ${why}, so it must throw an error named ${expected}.`,
        [...related, result.op],
      ),
    ];
  }
  return [];
}

/** log.read(offset), recorded as a client's read; the two errors a read may answer with are answers. */
export function readCall(
  node: SimNode<CommitLogApi>,
  ctx: TestContext<LogModule>,
  offset: number,
): Promise<CallResult<StoredRecord>> {
  return recordCallResult(ctx.history, node, (log) => log.read(offset), {
    client: CLIENT,
    f: "read",
    input: offset,
    onError: "fail",
    output: (stored) => (stored?.record ? describeRecord(stored.record) : stored),
    answerOf: (error) =>
      isOutOfRange(error) ? "out of range" : isNamed(error, "RecordNotFoundError") ? "not found" : undefined,
  });
}

/** records(from) with `from` inside a record: it must throw RecordNotFoundError, and yield no record. */
export async function checkScanInside(
  node: SimNode<CommitLogApi>,
  ctx: TestContext<LogModule>,
  from: number,
  why: string,
  related: Op[],
): Promise<Anomaly[]> {
  const result = await recordCallResult(ctx.history, node, (log) => firstRecords(log, from, 1), {
    client: CLIENT,
    f: "records",
    input: from,
    onError: "fail",
    output: (seen) => (seen.length === 0 ? "ended" : `yielded ${describeRecord((seen[0] as StoredRecord).record)}`),
    answerOf: (error) => (isNamed(error, "RecordNotFoundError") ? "not found" : undefined),
  });
  if (result.kind === "lost") {
    return [anomaly("wrong answer", `records(${from}) failed with no fault under way.`, [result.op])];
  }
  if (result.kind === "ok") {
    const first = result.value[0];
    return [
      first === undefined
        ? anomaly(
            "wrong answer",
            `records(${from}) ended without a word, but ${why}: no record starts there. It must throw RecordNotFoundError, not pass for the end of the log.`,
            [...related, result.op],
          )
        : anomaly(
            "garbage read",
            `records(${from}) yielded ${describeRecord(first.record)}, but ${why}: no record starts there. It must throw RecordNotFoundError.`,
            [...related, result.op],
          ),
    ];
  }
  if (!isNamed(result.error, "RecordNotFoundError")) {
    return [
      anomaly(
        "wrong answer",
        `records(${from}) threw ${errorText(result.error)}; ${why}, so it must throw an error named RecordNotFoundError.`,
        [...related, result.op],
      ),
    ];
  }
  return [];
}

/** An append whose record cannot fit in a segment: refused with MessageTooLargeError. */
export async function checkTooLarge(
  node: SimNode<CommitLogApi>,
  ctx: TestContext<LogModule>,
  sent: SentMessage,
  segmentBytes: number,
): Promise<Anomaly[]> {
  const size = recordSizeOf(sent.message);
  const result = await recordCallResult(ctx.history, node, (log) => log.append(sent.message), {
    client: CLIENT,
    f: "append",
    input: `${sent.id} to ${sent.message.topic}/${sent.message.queueId}, ${size}-byte record`,
    onError: "fail",
    output: (stored) => (stored?.record ? `@${stored.record.physicalOffset} #${stored.record.queueOffset}` : stored),
    answerOf: (error) => (isNamed(error, "MessageTooLargeError") ? "refused: too large" : undefined),
  });
  const limit = `a segment of ${segmentBytes} bytes holds a record of at most ${segmentBytes - END_MARKER_BYTES} (room for an end marker)`;
  if (result.kind === "lost") {
    return [anomaly("wrong answer", `append(${sent.id}) failed with no fault under way.`, [result.op])];
  }
  if (result.kind === "ok") {
    return [
      anomaly(
        "wrong answer",
        `append accepted ${sent.id}, a record of ${size} bytes, but ${limit}: it must refuse it with MessageTooLargeError, and change nothing.`,
        [result.op],
      ),
    ];
  }
  if (!isNamed(result.error, "MessageTooLargeError")) {
    return [
      anomaly(
        "wrong answer",
        `append(${sent.id}) threw ${errorText(result.error)}; ${limit}, so it must throw an error named MessageTooLargeError.`,
        [result.op],
      ),
    ];
  }
  return [];
}

/** The first `count` records log.records(from) yields (fewer if the log ends first; undefined: from its start). */
export async function firstRecords(
  log: CommitLogApi,
  from: number | undefined,
  count: number,
): Promise<StoredRecord[]> {
  const seen: StoredRecord[] = [];
  if (count <= 0) return seen;
  for await (const stored of log.records(from)) {
    seen.push(stored);
    if (seen.length >= count) break;
  }
  return seen;
}
