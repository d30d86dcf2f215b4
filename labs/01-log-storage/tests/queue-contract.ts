/**
 * Part L1.C, the consume-queue contract played directly, on a store of its own beside the broker
 * workload (queues.ts), sentence by sentence (src/consume-queue.ts):
 *
 *   dispatch   "at the record's queue offset", "afterwards nextOffset is at least queueOffset + 1,
 *              and read() finds the entry": entries dispatched out of order (past a gap a lagging
 *              dispatcher left, then the gap filled in any order, then one written again).
 *   read       "When they disagree, or no record starts where the entry points, read again ...;
 *              then throw CorruptIndexError (not OffsetOutOfRangeError ...)": an entry rewritten to
 *              point past the end of the log, where the commit log's read itself says "out of
 *              range". (The broker workload, queues.ts, rewrites entries to lead to other records.)
 *   rebuild    "nothing past its last record", and what the files say, since "open believes its
 *              files": entries past the end of the log, in a new file and in a queue with no
 *              record at all, then rebuild, a clean close and a power cut; the store that opens
 *              afterwards, without a rebuild, must agree with the log. For the close the grader
 *              makes the commit log durable itself (every file outside consumequeue/ fsynced),
 *              so that part C does not need flushTo, part D's code; then it calls flush.
 *   flush      "makes every consume-queue file durable, and the folders that name them": the power
 *              cut above, after which every entry is there and no file a rebuild removed is back.
 *
 * Anomalies: "lost write" (a message dispatched, or durable before the power cut, cannot be read
 * through its queue), "wrong answer" (a wrong nextOffset, another message, a read that returned
 * where it had to throw, a call that failed with no fault under way).
 */
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { LogModule } from "./api.ts";
import type { Appended } from "./messages.ts";
import { type DirectQueue, describeAnswer, QueueDirect } from "./queue-direct.ts";
import { checkOpenConfig, checkReadEdges, describeQueueEdges } from "./queue-reads.ts";

const NODE = "queues";
const FIRST_ID = 3001;
const SEGMENT_BYTES = 1024;

export function describeQueueContract(): string[] {
  return [
    `then, directly: ${describeQueueEdges()}`,
    "and on a store of its own (1 to 3 entries per file): entries dispatched past a gap and the gap filled out of order, an entry rewritten to point past the end of the log (read, then repaired), entries past the end of the log (one in a queue with no record), rebuild, the commit log synced and flush called, a power cut, and a store opened without a rebuild read back",
  ];
}

/** Part C's direct runs: open's refusals, then the contract on a store of its own. */
export async function checkQueueDirect(ctx: TestContext<LogModule>): Promise<Anomaly[]> {
  const found = await checkOpenConfig(ctx);
  return found.length > 0 ? found : checkQueueContract(ctx);
}

export async function checkQueueContract(ctx: TestContext<LogModule>): Promise<Anomaly[]> {
  const rng = ctx.rng.fork("queue-contract");
  const entriesPerFile = 1 + rng.int(3);
  const d = new QueueDirect(ctx, NODE, rng, FIRST_ID, { segmentBytes: SEGMENT_BYTES, entriesPerFile });
  await d.start();
  const q = d.queue(0, 0);
  // A queue id of two digits: its folder's name is longer than one character.
  const sibling = d.queue(0, 10 + rng.int(90));
  const other = d.queue(1, 0);
  const empty = d.queue(2, 1);
  const steps = [
    () => outOfOrder(d, q),
    () => fill(d, [sibling, other, q]),
    () => checkReadEdges(d, q),
    () => pastTheEnd(d, q),
    () => cutAndReopen(d, q, empty, [sibling, other]),
  ];
  for (const step of steps) {
    const found = await step();
    if (found.length > 0) return found;
  }
  return [];
}

/** Messages of a queue appended, dispatched out of order: past a gap first, then the gap in any order, then one again. */
async function outOfOrder(d: QueueDirect, q: DirectQueue): Promise<Anomaly[]> {
  const count = 3 + d.rng.int(3);
  for (let i = 0; i < count; i++) {
    const appended = await d.append(q, false);
    if (Array.isArray(appended)) return appended;
  }
  const name = `${q.topic}/${q.queueId}`;
  const at = (n: number) => (q.messages[n] as Appended).stored;
  const last = count - 1;
  d.nemesis(`the dispatcher indexes ${name} #0, then #${last}, leaving a gap, then fills the gap in another order`);
  let found = await d.dispatch(at(0), "in order");
  if (found.length === 0) found = await d.dispatch(at(last), `past a gap (#1 to #${last - 1} not dispatched yet)`);
  const rule = `dispatch writes an entry at the record's queue offset; afterwards nextOffset is at least queueOffset + 1 and read() finds the entry.`;
  if (found.length === 0) found = await d.checkEnd(q, count, `${name} #${last} was dispatched. ${rule}`, true);
  if (found.length === 0) found = await d.checkHeld(q, last, rule);
  if (found.length === 0) found = await d.checkHeld(q, 0, rule);
  if (found.length > 0) return found;
  for (const n of d.rng.shuffled(Array.from({ length: last - 1 }, (_, i) => i + 1))) {
    found = await d.dispatch(at(n), "filling the gap");
    if (found.length > 0) return found;
  }
  found = await d.dispatch(at(0), "again (the same entry, written a second time)");
  const filled = `every message of ${name} from #0 to #${last} was dispatched (some out of order). ${rule}`;
  if (found.length === 0) found = await d.checkEnd(q, count, filled, true);
  for (let n = 0; n < count && found.length === 0; n++) found = await d.checkHeld(q, n, filled);
  return found;
}

/** Two messages for each queue, dispatched as they are appended. */
async function fill(d: QueueDirect, queues: DirectQueue[]): Promise<Anomaly[]> {
  for (const queue of queues) {
    for (let i = 0; i < 2; i++) {
      const appended = await d.append(queue, true);
      if (Array.isArray(appended)) return appended;
    }
  }
  return [];
}

/**
 * An entry of `q` rewritten to point past the end of the log (with dispatch, at an offset the queue
 * holds), read, then written back right and read. The broker workload (queues.ts) rewrites entries
 * to lead to other records; this is the one way it does not play: no record there at all, so the
 * commit log's own read says "out of range", and a store that passes that on tells a consumer the
 * message is gone.
 */
async function pastTheEnd(d: QueueDirect, q: DirectQueue): Promise<Anomaly[]> {
  const name = `${q.topic}/${q.queueId}`;
  const n = d.rng.int(q.messages.length);
  const own = q.messages[n] as Appended;
  const last = q.messages.at(-1) as Appended;
  // Past every record the log holds: q's last message is the last one appended.
  const physicalOffset = last.stored.record.physicalOffset + SEGMENT_BYTES * (2 + d.rng.int(3));
  const points = `past the end of the log (@${physicalOffset})`;
  d.nemesis(`the index entry of ${name} #${n} is rewritten to point ${points} (as a flipped bit would)`);
  const wrong = { ...own.stored, record: { ...own.stored.record, physicalOffset } };
  let found = await d.dispatch(wrong, `a wrong entry: it points ${points}`);
  if (found.length > 0) return found;
  const result = await d.read(q, n);
  if (result.kind === "lost") return d.failed(result);
  if (result.kind === "threw" && isNamed(result.error, "CorruptIndexError")) {
    found = await d.dispatch(own.stored, "the right entry, written back");
    return found.length > 0
      ? found
      : d.checkHeld(q, n, "Its entry had been rewritten wrong and then written back right (dispatch again).");
  }
  const answer = describeAnswer(result);
  return d.anomaly(
    "wrong answer",
    `readQueue(${name} @${n}) ${answer} after its entry was rewritten to point ${points}; ${own.sent.id} is still in the log. No record starts where the entry points, so the read tries again and then throws CorruptIndexError: not OffsetOutOfRangeError, which is for an entry below the log's start and tells a consumer the message is gone for good.`,
    [own.op, result.op],
  );
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/**
 * Entries past the end of the log (the next ones of `q`, into a file of their own, and one in a
 * queue with no record), made durable; then rebuild, a clean close, a power cut, and a store that
 * opens without a rebuild, read back; then one more message for each, numbered from there.
 */
async function cutAndReopen(
  d: QueueDirect,
  q: DirectQueue,
  empty: DirectQueue,
  rest: DirectQueue[],
): Promise<Anomaly[]> {
  const name = `${q.topic}/${q.queueId}`;
  const emptyName = `${empty.topic}/${empty.queueId}`;
  const extra = d.config.entriesPerFile + 1;
  const end = await d.call(
    "writtenOffset",
    undefined,
    ({ commitLog }) => commitLog.writtenOffset,
    (n) => n,
  );
  if (end.kind !== "ok") return d.failed(end);
  d.nemesis(
    `${extra} index entries for ${name} from #${q.messages.length} on, and one for ${emptyName} #0, appear, pointing past the end of the log (records a power cut took away)`,
  );
  for (let i = 0; i < extra; i++) {
    const stale = d.phantom(q, q.messages.length + i, end.value + 64 + 200 * i);
    const found = await d.dispatch(stale, "a record the log does not have");
    if (found.length > 0) return found;
  }
  let found = await d.dispatch(
    d.phantom(empty, 0, end.value + 64),
    "a record the log does not have, in a queue with none",
  );
  if (found.length > 0) return found;
  const flushed = await d.call("flush", undefined, ({ queues }) => queues.flush());
  if (flushed.kind !== "ok") return d.failed(flushed);
  const rebuilt = await d.call("rebuild", undefined, ({ queues }) => queues.rebuild());
  if (rebuilt.kind !== "ok") return d.failed(rebuilt);
  const after =
    "After rebuild each queue holds one entry for each of its records in the log, and nothing past its last record.";
  found = await d.checkEnd(q, q.messages.length, after);
  if (found.length === 0) found = await d.checkEnd(empty, 0, `${emptyName} has no record in the log. ${after}`);
  if (found.length === 0) found = await d.checkPastEnd(q, q.messages.length, after);
  if (found.length > 0) return found;
  found = await d.syncLog();
  if (found.length > 0) return found;
  const closed = await d.call("flush", undefined, ({ queues }) => queues.flush());
  if (closed.kind !== "ok") return d.failed(closed);
  await d.powerCycle("the node boots again and opens the queues without a rebuild, believing their files");
  const durable =
    "flush makes every consume-queue file durable, and the folders that name them, and open believes the files: the queues after a power cut are the queues as flush left them.";
  found = await d.checkEnd(q, q.messages.length, `${after} ${durable}`);
  if (found.length === 0) {
    found = await d.checkEnd(
      empty,
      0,
      `rebuild removed the entry of ${emptyName} (the queue has no record in the log) before the flush. ${durable}`,
    );
  }
  for (const queue of [q, ...rest]) {
    for (let n = 0; n < queue.messages.length && found.length === 0; n++) found = await d.checkHeld(queue, n, durable);
    if (found.length === 0) found = await d.checkEnd(queue, queue.messages.length, durable);
  }
  if (found.length === 0) found = await d.checkPastEnd(q, q.messages.length, `${after} ${durable}`);
  if (found.length > 0) return found;
  for (const queue of [q, empty]) {
    const appended = await d.append(queue, true);
    if (Array.isArray(appended)) return appended;
    found = await d.checkHeld(queue, queue.messages.length - 1, "It was just appended and dispatched.");
    if (found.length > 0) return found;
  }
  return [];
}
