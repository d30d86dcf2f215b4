/**
 * Part L1.F, rebuild of a queue whose every record retention deleted, played directly
 * (src/consume-queue.ts: "entries below the log's start (records retention deleted) are kept: they
 * hold the queue's numbering, and queue offsets never go back", and "nothing past its last record").
 *
 * Such a queue has entries and no record in the log, so the log cannot say where it ends: its
 * entries do. Those below the log's start are real (retention's); one at or past the start is not
 * (the queue has no record there). The fault plans rarely leave that state, so part F makes it on a
 * log of its own (segments of 512 bytes): records of one queue fill the first segment, a record of
 * another queue begins the second, retention deletes the first; then an entry appears for the old
 * queue's next offset, leading to that other queue's record (a power cut took the old queue's
 * record, and the other one was appended at its place since). After rebuild, the old queue must end
 * where its real entries end; a clean close, a restart that believes the files, and the old
 * queue's next message must get the next number.
 *
 * Anomalies: "wrong answer" (a wrong nextOffset or queue offset, a read that is not out of range
 * below the log's start or not null past the end, a call that failed with no fault under way).
 */
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { SIM_EPOCH_MS } from "#harness/sim/clock.ts";
import type { LogModule } from "./api.ts";
import { QueueDirect } from "./queue-direct.ts";
import { expectedOffset } from "./segments.ts";

const NODE = "queues-retained";
const FIRST_ID = 4001;
const SEGMENT_BYTES = 512;
const RETENTION_MS = 10;
const LATER_MS = 1000;
const APPENDS_MAX = 12;

export function describeQueueBelowStart(): string {
  return "then, on a log of its own (segments of 512 bytes): one queue's records fill a segment, retention deletes it, an entry for that queue's next offset leads to another queue's record (flushed), rebuild, a clean close and a restart without rebuild, and that queue's next message";
}

export async function checkQueueBelowStart(ctx: TestContext<LogModule>): Promise<Anomaly[]> {
  const rng = ctx.rng.fork("queue-below-start");
  const d = new QueueDirect(ctx, NODE, rng, FIRST_ID, {
    segmentBytes: SEGMENT_BYTES,
    entriesPerFile: 1 + rng.int(3),
  });
  await d.start();
  const old = d.queue(2, 0);
  const young = d.queue(0, 1);
  const oldName = `${old.topic}/${old.queueId}`;

  // The old queue's records, as long as each fits in the first segment; the next record rolls.
  let written = 0;
  const drawBytes = () => 100 + rng.int(80);
  let nextBytes = drawBytes();
  for (let i = 0; i < APPENDS_MAX && expectedOffset(written, nextBytes, SEGMENT_BYTES) === written; i++) {
    const appended = await d.append(old, true, nextBytes);
    if (Array.isArray(appended)) return appended;
    written = appended.stored.record.physicalOffset + appended.stored.sizeBytes;
    nextBytes = drawBytes();
  }
  const first = await d.append(young, true, nextBytes);
  if (Array.isArray(first)) return first;
  const count = old.messages.length;

  const now = SIM_EPOCH_MS + ctx.world.nowMs + LATER_MS;
  const retention = await d.call(
    "deleteExpiredSegments, then flush",
    `${now}, ${RETENTION_MS}`,
    async ({ commitLog, queues }) => {
      await commitLog.deleteExpiredSegments(now, RETENTION_MS);
      // Retention flushes the queues: their entries are now the only record of the numbering.
      await queues.flush();
      return commitLog.minOffset;
    },
    (minOffset) => `minOffset ${minOffset}`,
  );
  if (retention.kind !== "ok") return d.failed(retention);
  const start = first.stored.record.physicalOffset;
  if (retention.value !== start) {
    return d.anomaly(
      "wrong answer",
      `after deleteExpiredSegments(${now}, ${RETENTION_MS}) minOffset is ${retention.value}; the first segment's records are all older than the retention and the second is active, so the log starts at ${start}.`,
      [retention.op],
    );
  }

  const gone = await d.checkOutOfRange(
    old,
    rng.int(count),
    `retention deleted its record (the log starts at ${start}), so read throws OffsetOutOfRangeError.`,
  );
  if (gone.length > 0) return gone;

  d.nemesis(
    `an index entry for ${oldName} #${count} appears, leading to @${start}: a power cut took its record, and ${first.sent.id} was appended there since`,
  );
  const stale = d.phantom(old, count, start);
  let found = await d.dispatch({ ...stale, sizeBytes: first.stored.sizeBytes }, `leading to ${first.sent.id}`);
  if (found.length > 0) return found;
  // On disk, as the entry a power cut left would be: a store may keep its newest entries in memory.
  const flushed = await d.call("flush", undefined, ({ queues }) => queues.flush());
  if (flushed.kind !== "ok") return d.failed(flushed);
  const rebuilt = await d.call("rebuild", undefined, ({ queues }) => queues.rebuild());
  if (rebuilt.kind !== "ok") return d.failed(rebuilt);
  const rule = `${oldName} has no record left in the log: its ${count} entries below the log's start are kept (they hold its numbering, and queue offsets never go back), and the one at @${start} is not its record, so rebuild removes it (nothing past the queue's last record).`;
  found = await d.checkEnd(old, count, rule);
  if (found.length === 0) found = await d.checkPastEnd(old, count, rule);
  if (found.length > 0) return found;

  const closed = await d.call("close: flushTo(writtenOffset), then flush", undefined, async ({ commitLog, queues }) => {
    await commitLog.flushTo(commitLog.writtenOffset);
    await queues.flush();
  });
  if (closed.kind !== "ok") return d.failed(closed);
  d.nemesis(`${NODE} restarts, and opens its queues without a rebuild, believing their files`);
  d.node.crash();
  await d.start();
  found = await d.checkEnd(old, count, `${rule} open believes the files.`);
  if (found.length > 0) return found;
  const next = await d.append(old, true);
  return Array.isArray(next) ? next : d.checkHeld(old, count, "It was just appended and dispatched.");
}
