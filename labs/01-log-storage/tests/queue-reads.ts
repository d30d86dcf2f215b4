/**
 * Part L1.C, the edges of the consume-queue contract (src/consume-queue.ts), played directly:
 *
 *   open   "Throws a RangeError when config.entriesPerFile is not a whole number of at least 1";
 *          1 itself is accepted, and a store with no queue yet flushes (nothing to make durable
 *          is not an error) and reads null.
 *   read   "null at or past the queue's end", "OffsetOutOfRangeError when queueOffset is
 *          negative", "a RangeError when queueOffset is not a whole number": at the end, past it,
 *          below 0, and between two whole offsets, of a queue that holds messages.
 *
 * A RangeError is caught inside the node: one reaching the harness would be taken for a crash of
 * the code (a programming error), not for the answer the contract asks for.
 *
 * Anomaly: "wrong answer" (another answer than the contract's).
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import type { LogModule, QueueMessage } from "./api.ts";
import type { DirectQueue, QueueDirect } from "./queue-direct.ts";
import { describeMessage } from "./queue-direct.ts";

const CONFIG_NODE = "queues-config";
/** entriesPerFile values open must refuse, one drawn per seed after the first (0 every time). */
const BAD_ENTRIES_PER_FILE = [-1, 2.5, 0.5, Number.NaN, Number.POSITIVE_INFINITY];

export function describeQueueEdges(): string {
  return "ConsumeQueueStore.open with entriesPerFile 0 and one more it must refuse, then 1 (a flush and a read of the empty store); reads at the end of a queue, past it, below 0, and between two whole offsets";
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/** What a call ended in, for a refusal the contract names: "RangeError" caught inside the node. */
type Refusal<T> = { refused: true } | { refused: false; value: T };

function refusal<T>(call: () => Promise<T>): Promise<Refusal<T>> {
  return Promise.resolve()
    .then(call)
    .then(
      (value): Refusal<T> => ({ refused: false, value }),
      (error: unknown): Refusal<T> => {
        // Only the refusal is an answer; anything else (NotImplemented, a DiskError) goes on as thrown.
        if (isNamed(error, "RangeError")) return { refused: true };
        throw error;
      },
    );
}

/** open refuses entriesPerFile that is not a whole number of at least 1, accepts 1; the empty store it opens flushes and reads null. */
export async function checkOpenConfig(ctx: TestContext<LogModule>): Promise<Anomaly[]> {
  const rng = ctx.rng.fork("queue-config");
  const node = ctx.world.addNode(CONFIG_NODE, async (env) => {
    const impl = ctx.implFor(env);
    const commitLog = await impl.CommitLog.open(env, { dir: "", segmentBytes: 1024 });
    return {
      open: (entriesPerFile: number) =>
        refusal(() => impl.ConsumeQueueStore.open(env, { dir: "", entriesPerFile }, commitLog)),
    };
  });
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  const rule =
    "ConsumeQueueStore.open throws a RangeError when config.entriesPerFile is not a whole number of at least 1";
  const bad = BAD_ENTRIES_PER_FILE[rng.int(BAD_ENTRIES_PER_FILE.length)] as number;
  for (const entriesPerFile of [0, bad]) {
    const result = await recordCallResult(ctx.history, node, (store) => store.open(entriesPerFile), {
      client: "grader",
      f: "ConsumeQueueStore.open",
      input: `entriesPerFile ${entriesPerFile}`,
      onError: "fail",
      output: (r) => (r.refused ? "threw RangeError" : "opened"),
    });
    if (result.kind === "ok" && result.value.refused) continue;
    if (result.kind === "lost") return [anomaly("wrong answer", "ConsumeQueueStore.open got no answer.", [result.op])];
    const answer = result.kind === "threw" ? `threw ${errorText(result.error)}` : "opened a store";
    return [
      anomaly("wrong answer", `ConsumeQueueStore.open with entriesPerFile ${entriesPerFile} ${answer}; ${rule}.`, [
        result.op,
      ]),
    ];
  }
  const ops: Op[] = [];
  const one = await recordCallResult(
    ctx.history,
    node,
    async (store) => {
      const opened = await store.open(1);
      if (opened.refused) return "refused";
      const queues = opened.value;
      // A store with no queue: nothing to make durable, and no message to read.
      await queues.flush();
      const read: QueueMessage | null = await queues.read("orders", 0, 0);
      return read === null ? "ok" : describeMessage(read);
    },
    {
      client: "grader",
      f: "ConsumeQueueStore.open, then flush() and read(orders/0 @0)",
      input: "entriesPerFile 1",
      onError: "fail",
      output: (answer) => answer,
    },
  );
  ops.push(one.op);
  if (one.kind === "ok" && one.value === "ok") return [];
  const answer =
    one.kind === "threw"
      ? `threw ${errorText(one.error)}`
      : one.kind === "lost"
        ? "got no answer"
        : one.value === "refused"
          ? "refused entriesPerFile 1 with a RangeError"
          : `read ${one.value} at orders/0 @0`;
  return [
    anomaly(
      "wrong answer",
      `ConsumeQueueStore.open with entriesPerFile 1, then flush() and a read of a queue nobody wrote to, ${answer}. 1 is a whole number of at least 1, so open accepts it; flush on a store with no queue has nothing to make durable and resolves; the read is past that queue's end (nextOffset 0), so it returns null.`,
      ops,
    ),
  ];
}

/** Reads at the edges of `q` (which holds messages): at its end, past it, below 0, between two offsets. */
export async function checkReadEdges(d: QueueDirect, q: DirectQueue): Promise<Anomaly[]> {
  const name = `${q.topic}/${q.queueId}`;
  const count = q.messages.length;
  const end = "read returns null at or past the queue's end (nextOffset).";
  let found = await d.checkPastEnd(q, count, end);
  if (found.length === 0) found = await d.checkPastEnd(q, count + 1 + d.rng.int(5 * d.config.entriesPerFile), end);
  if (found.length > 0) return found;
  const negative = await d.checkOutOfRange(
    q,
    -1 - d.rng.int(3),
    "queue offsets start at 0, so it must throw OffsetOutOfRangeError (null means past the queue's end, not before its start).",
  );
  if (negative.length > 0) return negative;
  for (const offset of [d.rng.int(count) + 0.5, Number.NaN]) {
    const result = await d.call(
      "readQueue",
      `${name} @${offset}`,
      ({ queues }) => refusal(() => queues.read(q.topic, q.queueId, offset)),
      (r) => (r.refused ? "threw RangeError" : r.value === null ? null : describeMessage(r.value)),
    );
    if (result.kind === "ok" && result.value.refused) continue;
    if (result.kind === "lost") return d.failed(result);
    const answer =
      result.kind === "threw"
        ? `threw ${errorText(result.error)}`
        : `returned ${result.value.refused || result.value.value === null ? "null" : describeMessage(result.value.value)}`;
    return d.anomaly(
      "wrong answer",
      `readQueue(${name} @${offset}) ${answer}; ${offset} is not a whole number, so read throws a RangeError (no message has that queue offset, and it is not a place in the queue to be past or before).`,
      [result.op],
    );
  }
  return [];
}
