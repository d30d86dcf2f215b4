/**
 * Part L1.C, the consume-queue contract played directly, on a store of its own beside the broker
 * workload (queues.ts), sentence by sentence (src/consume-queue.ts):
 *
 *   dispatch   "at the record's queue offset", "afterwards nextOffset is at least queueOffset + 1,
 *              and read() finds the entry": entries dispatched out of order (past a gap a lagging
 *              dispatcher left, then the gap filled in any order, then one written again).
 *   read       "checked: same topic, queue, queue offset, size and tag hash ... then throw
 *              CorruptIndexError. Never another queue's message": an entry rewritten to lead to a
 *              neighbour, to a message of the topic's other queue or of another topic, to the right
 *              record with the wrong size or tag hash, into the middle of a record, or past the end
 *              of the log. The read must throw, and not OffsetOutOfRangeError (that answer is for
 *              an entry below the log's start, and tells a consumer the message is gone for good).
 *              The name CorruptIndexError itself is not graded (the guide, section 5).
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
import { errorText } from "#harness/workloads/call.ts";
import { isOutOfRange, type LogModule, type StoredRecord } from "./api.ts";
import type { Appended } from "./messages.ts";
import { type DirectQueue, describeMessage, QueueDirect } from "./queue-direct.ts";
import { checkOpenConfig, checkReadEdges, describeQueueEdges } from "./queue-reads.ts";

const NODE = "queues";
const FIRST_ID = 3001;
const SEGMENT_BYTES = 1024;

/** How an entry rewritten wrong leads astray. */
type Misindex = "neighbour" | "other queue" | "other topic" | "size" | "tag hash" | "inside a record" | "past the end";
const MISINDEXES_PER_SEED = 2;
const MISINDEXES: readonly Misindex[] = [
  "neighbour",
  "other queue",
  "other topic",
  "size",
  "tag hash",
  "inside a record",
  "past the end",
];

export function describeQueueContract(): string[] {
  return [
    `then, directly: ${describeQueueEdges()}`,
    "and on a store of its own (1 to 3 entries per file): entries dispatched past a gap and the gap filled out of order, entries rewritten to lead to the wrong record (two of seven ways a seed; each read, then repaired), entries past the end of the log (one in a queue with no record), rebuild, the commit log synced and flush called, a power cut, and a store opened without a rebuild read back",
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
    () => misindexed(d, q, sibling, other),
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
 * Ways an entry can lead astray (two a seed), on a message of `q` drawn for each: the wrong entry is written
 * (a rewrite, with dispatch), read, and the right one written back and read.
 */
async function misindexed(
  d: QueueDirect,
  q: DirectQueue,
  sibling: DirectQueue,
  other: DirectQueue,
): Promise<Anomaly[]> {
  const name = `${q.topic}/${q.queueId}`;
  // Two of the ways a seed, drawn: every way is played within a few seeds, at a fraction of the time.
  for (const how of d.rng.shuffled(MISINDEXES).slice(0, MISINDEXES_PER_SEED)) {
    const n = d.rng.int(q.messages.length);
    const own = q.messages[n] as Appended;
    const wrong = wrongEntry(d, how, q, n, sibling, other);
    d.nemesis(`the index entry of ${name} #${n} is rewritten to lead ${wrong.points} (as a flipped bit would)`);
    let found = await d.dispatch(wrong.stored, `a wrong entry: it leads ${wrong.points}`);
    if (found.length > 0) return found;
    const result = await d.read(q, n);
    if (result.kind === "lost") return d.failed(result);
    const rule =
      "A read checks the record its entry leads to (same topic, queue, queue offset, size and tag hash), reads again when they disagree, then throws (CorruptIndexError): never another message, and never OffsetOutOfRangeError, which is for an entry below the log's start and tells a consumer the message is gone.";
    if (result.kind === "threw" && isOutOfRange(result.error)) {
      return d.anomaly(
        "wrong answer",
        `readQueue(${name} @${n}) threw ${errorText(result.error)} after its entry was rewritten to lead ${wrong.points}; ${own.sent.id} is still in the log. ${rule}`,
        [own.op, result.op],
      );
    }
    if (result.kind === "ok") {
      const got = result.value === null ? "null" : describeMessage(result.value);
      return d.anomaly(
        "wrong answer",
        `readQueue(${name} @${n}) returned ${got} after its entry was rewritten to lead ${wrong.points}. ${rule}`,
        [own.op, result.op],
      );
    }
    found = await d.dispatch(own.stored, "the right entry, written back");
    if (found.length === 0)
      found = await d.checkHeld(
        q,
        n,
        `Its entry had been rewritten wrong and then written back right (dispatch again).`,
      );
    if (found.length > 0) return found;
  }
  return [];
}

/** The entry of message n of `q` made wrong in the way `how` says, and where it leads, in words. */
function wrongEntry(
  d: QueueDirect,
  how: Misindex,
  q: DirectQueue,
  n: number,
  sibling: DirectQueue,
  other: DirectQueue,
): { stored: StoredRecord; points: string } {
  const own = q.messages[n] as Appended;
  const pick = (queue: DirectQueue, not?: number): Appended => {
    const choices = queue.messages.filter((_, i) => i !== not);
    return choices[d.rng.int(choices.length)] as Appended;
  };
  const as = (target: Appended, change: Partial<StoredRecord["record"]> = {}, sizeBytes = target.stored.sizeBytes) => ({
    record: { ...target.stored.record, topic: q.topic, queueId: q.queueId, queueOffset: n, ...change },
    sizeBytes,
  });
  const at = (target: Appended) => {
    const r = target.stored.record;
    return `to ${target.sent.id} (${r.topic}/${r.queueId} #${r.queueOffset}, @${r.physicalOffset})`;
  };
  switch (how) {
    case "neighbour": {
      const target = pick(q, n);
      return { stored: as(target), points: at(target) };
    }
    case "other queue":
    case "other topic": {
      const target = pick(how === "other queue" ? sibling : other);
      return { stored: as(target), points: at(target) };
    }
    case "size": {
      const sizeBytes = own.stored.sizeBytes + 4 * (1 + d.rng.int(8));
      return {
        stored: as(own, {}, sizeBytes),
        points: `${at(own)} with a size of ${sizeBytes} bytes, not ${own.stored.sizeBytes}`,
      };
    }
    case "tag hash": {
      const properties = { ...own.stored.record.properties, TAGS: `${own.stored.record.properties.TAGS ?? ""}~` };
      return { stored: as(own, { properties }), points: `${at(own)} with the tag hash of "${properties.TAGS}"` };
    }
    case "inside a record": {
      const physicalOffset = own.stored.record.physicalOffset + 8 * (1 + d.rng.int(4));
      return {
        stored: as(own, { physicalOffset }),
        points: `into ${own.sent.id} (@${physicalOffset}), where no record starts`,
      };
    }
    case "past the end": {
      const last = q.messages.at(-1) as Appended;
      // Past every record the log holds: the largest offset appended so far, and more.
      const physicalOffset = last.stored.record.physicalOffset + SEGMENT_BYTES * (2 + d.rng.int(3));
      return { stored: as(own, { physicalOffset }), points: `past the end of the log (@${physicalOffset})` };
    }
  }
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
