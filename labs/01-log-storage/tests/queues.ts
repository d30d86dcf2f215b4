/**
 * Part L1.C: consume queues on top of the commit log. No faults; the grader plays the broker: it
 * appends to the commit log and dispatches each record to the consume queues, except when it
 * plays a dispatcher that fell behind, or an index that got ahead of the log (an entry for a
 * record the log does not have, as a power cut can leave). Then it asks for a rebuild, or
 * restarts, and every boot rebuilds: afterwards the queues must agree with the log exactly.
 *
 * Anomalies:
 *   lost write    a message that was appended and indexed cannot be read through its queue.
 *                 readQueue(orders/1 @3) -> null, but m7 was appended as orders/1 #3
 *   wrong answer  a queue returned the wrong message, or a message where its end should be.
 *                 readQueue(orders/1 @5) -> threw CorruptIndexError; the queue holds 5 messages
 *   garbage read / corruption passed through: a returned message was never sent, or differs.
 */
import fc from "fast-check";
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { SIM_EPOCH_MS } from "#harness/sim/clock.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { plural } from "#harness/words.ts";
import { type CallResult, errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import { utf8 } from "#lab";
import {
  type CommitLogApi,
  type ConsumeQueueStoreApi,
  isOutOfRange,
  type LogModule,
  type QueueMessage,
} from "./api.ts";
import {
  type Appended,
  describeRecord,
  difference,
  idOf,
  MessageBook,
  type MessageSpec,
  TOPICS,
  tagsHashProblem,
} from "./messages.ts";
import { specArb } from "./segments.ts";

export type QueueOp =
  | { kind: "append"; spec: MessageSpec }
  | { kind: "lag" }
  | { kind: "readQueue"; queue: number; pick: number }
  | { kind: "end"; queue: number }
  | { kind: "negative"; queue: number; below: number }
  | { kind: "stale"; queue: number; after: "rebuild" | "restart" }
  | { kind: "misindex"; queue: number; pick: number; wrong: Misindex; after: "rebuild" | "restart" }
  | { kind: "rebuild" }
  | { kind: "restart" };

/**
 * How a misindexed entry is wrong, as a flipped bit or a dispatcher's mistake can leave it: it
 * points at a neighbouring message of the same queue, at a message of the topic's other queue or of
 * another topic, into the middle of a record, or at the
 * right record with the wrong size or tag hash.
 */
export type Misindex = "neighbour" | "other queue" | "other topic" | "no record" | "size" | "tag hash";

export interface QueueScenario {
  segmentBytes: number;
  entriesPerFile: number;
  ops: QueueOp[];
}

const QUEUE_IDS = 2;
const QUEUES = TOPICS.length * QUEUE_IDS;
const queueIndex = fc.integer({ min: 0, max: QUEUES - 1 });

export const queueScenarioArb: fc.Arbitrary<QueueScenario> = fc.record({
  segmentBytes: fc.constantFrom(1024, 2048),
  entriesPerFile: fc.constantFrom(2, 4, 8),
  ops: fc.array(
    fc.oneof(
      { weight: 10, arbitrary: fc.record({ kind: fc.constant("append" as const), spec: specArb(700, QUEUE_IDS) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("lag" as const) }) },
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant("readQueue" as const),
          queue: queueIndex,
          pick: fc.nat({ max: 1000 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("end" as const), queue: queueIndex }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("negative" as const),
          queue: queueIndex,
          below: fc.integer({ min: 1, max: 3 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("stale" as const),
          queue: queueIndex,
          after: fc.constantFrom("rebuild" as const, "restart" as const),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("rebuild" as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant("misindex" as const),
          queue: queueIndex,
          pick: fc.nat({ max: 1000 }),
          wrong: fc.constantFrom<Misindex>("neighbour", "other queue", "other topic", "no record", "size", "tag hash"),
          after: fc.constantFrom("rebuild" as const, "restart" as const),
        }),
      },
    ),
    { minLength: 10, maxLength: 60 },
  ),
});

export function describeQueueScenario(scenario: QueueScenario): string[] {
  const count = (kind: QueueOp["kind"]) => scenario.ops.filter((op) => op.kind === kind).length;
  const stale = (after: "rebuild" | "restart") =>
    scenario.ops.filter((op) => op.kind === "stale" && op.after === after).length;
  // A stale entry is followed by the rebuild or restart that must clear it: those count too.
  const misindexed = (after: "rebuild" | "restart") =>
    scenario.ops.filter((op) => op.kind === "misindex" && op.after === after).length;
  const rebuilds = count("rebuild") + stale("rebuild") + misindexed("rebuild");
  const restarts = count("restart") + stale("restart") + misindexed("restart");
  const reads = count("readQueue") + count("negative");
  return [
    "(no faults; the grader plays the dispatcher, falling behind or getting ahead of the log on purpose)",
    `workload: segments of ${scenario.segmentBytes} bytes, ${scenario.entriesPerFile} entries per consume-queue file; ` +
      `${plural(count("append"), "append")}, the dispatcher falling behind ${plural(count("lag"), "time")}, ` +
      `${plural(count("stale"), "stale index entry", "stale index entries")}, ` +
      `${plural(count("misindex"), "entry", "entries")} rewritten wrong (each then read, and repaired), ` +
      `${plural(reads, "queue read")} (${count("negative")} below offset 0), ` +
      `${plural(rebuilds, "rebuild() call")} and ${plural(restarts, "restart")} (each boot rebuilds too)`,
  ];
}

interface Store {
  commitLog: CommitLogApi;
  queues: ConsumeQueueStoreApi;
}

/** What the grader knows of one queue: its messages in order, and how many the index holds. */
interface QueueModel {
  topic: string;
  queueId: number;
  messages: Appended[];
  indexed: number;
}

const NODE = "n1";
const CLIENT = "client";

export async function runQueueWorkload(ctx: TestContext<LogModule>, scenario: QueueScenario): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const node = world.addNode<Store>(NODE, async (env) => {
    const impl = ctx.implFor(env);
    // A broker's boot, as the grader plays it: open both, rebuild the index from the log, and
    // take the next queue offsets from the rebuilt index.
    const commitLog = await impl.CommitLog.open(env, { dir: "", segmentBytes: scenario.segmentBytes });
    const queues = await impl.ConsumeQueueStore.open(
      env,
      { dir: "", entriesPerFile: scenario.entriesPerFile },
      commitLog,
    );
    await queues.rebuild();
    commitLog.setQueueOffsets(queues.nextOffsets());
    return { commitLog, queues };
  });
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  const book = new MessageBook(ctx.rng.fork("messages"));
  const models: QueueModel[] = [];
  for (const topic of TOPICS)
    for (let q = 0; q < QUEUE_IDS; q++) models.push({ topic, queueId: q, messages: [], indexed: 0 });
  const modelOf = (topic: string, queueId: number) =>
    models.find((m) => m.topic === topic && m.queueId === queueId) as QueueModel;
  let lagging = false;

  const rebuilt = () => {
    for (const model of models) model.indexed = model.messages.length;
    lagging = false;
  };

  for (const step of scenario.ops) {
    let found: Anomaly[] = [];
    switch (step.kind) {
      case "append": {
        const sent = book.make(step.spec, SIM_EPOCH_MS + world.nowMs);
        const model = modelOf(sent.message.topic, sent.message.queueId);
        const dispatch = !lagging;
        const result = await recordCallResult(
          history,
          node,
          async ({ commitLog, queues }) => {
            const stored = await commitLog.append(sent.message);
            if (dispatch) await queues.dispatch(stored);
            return stored;
          },
          {
            client: CLIENT,
            f: dispatch ? "append+dispatch" : "append (not dispatched)",
            input: `${sent.id} to ${sent.message.topic}/${sent.message.queueId}`,
            onError: "info",
            output: (stored) =>
              stored?.record ? `@${stored.record.physicalOffset} #${stored.record.queueOffset}` : stored,
          },
        );
        if (result.kind !== "ok") return [failedWithoutFault(result.op)];
        const qo = result.value?.record?.queueOffset;
        if (qo !== model.messages.length) {
          return [
            anomaly(
              "wrong answer",
              `${sent.id} got queue offset ${qo}; ${model.topic}/${model.queueId} holds ${model.messages.length} messages, so the next is ${model.messages.length}. ` +
                "After a rebuild the next queue offsets come from the consume queues: an entry left past the end of the log shifts them.",
              [result.op],
            ),
          ];
        }
        model.messages.push({ sent, stored: result.value, op: result.op });
        if (dispatch) model.indexed = model.messages.length;
        break;
      }
      case "lag":
        history.nemesis("the dispatcher falls behind: the next appends are not indexed until a rebuild");
        lagging = true;
        break;
      case "readQueue": {
        const model = models[step.queue] as QueueModel;
        found = await checkQueueRead(node, ctx, model, step.pick % (model.messages.length + 2));
        break;
      }
      case "end":
        found = await checkEnd(node, ctx, models[step.queue] as QueueModel);
        break;
      case "negative":
        found = await checkQueueRead(node, ctx, models[step.queue] as QueueModel, -step.below);
        break;
      case "stale": {
        const model = models[step.queue] as QueueModel;
        found = await injectStale(node, ctx, model, world.nowMs);
        if (found.length > 0) break;
        if (step.after === "rebuild") found = await rebuild(node, ctx);
        else found = await restart(node, ctx);
        rebuilt();
        if (found.length === 0) found = await checkEnd(node, ctx, model);
        if (found.length === 0) found = await checkQueueRead(node, ctx, model, model.messages.length);
        break;
      }
      case "misindex": {
        const model = models[step.queue] as QueueModel;
        if (model.indexed === 0) break; // nothing indexed to get wrong
        const n = step.pick % model.indexed;
        const others = models.flatMap((m) =>
          m === model || (m.topic === model.topic) !== (step.wrong === "other queue")
            ? []
            : m.messages.slice(0, m.indexed),
        );
        found = await injectMisindex(node, ctx, model, n, step.wrong, others[step.pick % Math.max(1, others.length)]);
        if (found.length === 0) found = await checkEnd(node, ctx, model);
        if (found.length > 0) break;
        if (step.after === "rebuild") found = await rebuild(node, ctx);
        else found = await restart(node, ctx);
        rebuilt();
        if (found.length === 0) found = await checkQueueRead(node, ctx, model, n);
        break;
      }
      case "rebuild":
        found = await rebuild(node, ctx);
        rebuilt();
        break;
      case "restart":
        found = await restart(node, ctx);
        rebuilt();
        break;
    }
    if (found.length > 0) return found;
  }
  // Finally every queue, read whole.
  for (const model of models) {
    for (let n = 0; n <= model.messages.length; n++) {
      const found = await checkQueueRead(node, ctx, model, n);
      if (found.length > 0) return found;
    }
  }
  return [];
}

function failedWithoutFault(op: Op): Anomaly {
  return anomaly(
    "wrong answer",
    `${op.f} failed with no fault anywhere in the run (${op.note ?? "no reason given"}).`,
    [op],
  );
}

/** A call that returned or threw (the node was up to answer it). */
export type Answered<T> = Exclude<CallResult<T>, { kind: "lost" }>;

/** queues.read at offset `n` of the model's queue, recorded as a client's readQueue. */
function readQueueAt(
  node: SimNode<Store>,
  ctx: TestContext<LogModule>,
  model: QueueModel,
  n: number,
): Promise<CallResult<QueueMessage | null>> {
  return recordCallResult(ctx.history, node, ({ queues }) => queues.read(model.topic, model.queueId, n), {
    client: CLIENT,
    f: "readQueue",
    input: `${model.topic}/${model.queueId} @${n}`,
    onError: "fail",
    output: (m) => (m === null ? null : describeMessage(m)),
    answerOf: (error) => (isOutOfRange(error) ? "out of range" : undefined),
  });
}

/** A read at queue offset `n`: below 0 out of range, past the index's end null, else the message indexed there. */
async function checkQueueRead(
  node: SimNode<Store>,
  ctx: TestContext<LogModule>,
  model: QueueModel,
  n: number,
): Promise<Anomaly[]> {
  const result = await readQueueAt(node, ctx, model, n);
  if (result.kind === "lost") return [failedWithoutFault(result.op)];
  return n < 0 ? judgeNegative(model, n, result) : judgeQueueRead(model, n, result);
}

/** What a read of queue offset `n` (0 or more) returned, against the model. */
function judgeQueueRead(model: QueueModel, n: number, result: Answered<QueueMessage | null>): Anomaly[] {
  const name = `${model.topic}/${model.queueId}`;
  const want = n < model.indexed ? model.messages[n] : undefined;
  const related = want === undefined ? [result.op] : [want.op, result.op];
  if (result.kind === "threw") {
    return [
      want === undefined
        ? anomaly(
            "wrong answer",
            `readQueue(${name} @${n}) threw ${errorText(result.error)}; the index of ${name} holds ${model.indexed} entries, so offset ${n} is past its end and the answer is null.`,
            related,
          )
        : anomaly(
            "lost write",
            `${want.sent.id} was appended as ${name} #${n}, but readQueue(${name} @${n}) threw ${errorText(result.error)}.`,
            related,
          ),
    ];
  }
  const got = result.value;
  if (want === undefined) {
    if (got === null) return [];
    return [
      anomaly(
        "wrong answer",
        `readQueue(${name} @${n}) returned ${describeMessage(got)}; the index of ${name} holds ${model.indexed} entries, so the answer is null.`,
        related,
      ),
    ];
  }
  if (got === null) {
    return [
      anomaly(
        "lost write",
        `${want.sent.id} was appended and indexed as ${name} #${n}, but readQueue(${name} @${n}) returned null.`,
        related,
      ),
    ];
  }
  return compareQueueMessage(want, got, related, `readQueue(${name} @${n})`);
}

/** A message read through a queue against what was appended there. */
export function compareQueueMessage(want: Appended, got: QueueMessage, ops: Op[], what: string): Anomaly[] {
  if (typeof got !== "object" || typeof got.topic !== "string")
    return [anomaly("wrong answer", `${what} returned ${String(got)}.`, ops)];
  const expected = want.stored.record;
  if (got.topic !== expected.topic || got.queueId !== expected.queueId || got.queueOffset !== expected.queueOffset) {
    return [
      anomaly(
        "wrong answer",
        `${what} returned ${describeMessage(got)}, a message of another queue or offset; it should be ${want.sent.id} (${expected.topic}/${expected.queueId} #${expected.queueOffset}).`,
        ops,
      ),
    ];
  }
  const id = idOf(got);
  if (id !== want.sent.id) {
    return [
      id === null
        ? anomaly("garbage read", `${what} returned a message no append wrote; it should be ${want.sent.id}.`, ops)
        : anomaly("wrong answer", `${what} returned ${id}; it should be ${want.sent.id}.`, ops),
    ];
  }
  const differs = difference(want.sent.message, got);
  if (differs !== null)
    return [anomaly("corruption passed through", `${what} returned ${want.sent.id} with ${differs}.`, ops)];
  if (got.physicalOffset !== expected.physicalOffset) {
    return [
      anomaly(
        "wrong answer",
        `${what} returned ${want.sent.id} with physicalOffset ${got.physicalOffset}; it is at ${expected.physicalOffset}.`,
        ops,
      ),
    ];
  }
  const tags = tagsHashProblem(got);
  if (tags !== null)
    return [
      anomaly("wrong answer", `${what} returned ${want.sent.id} with ${tags} (CRC-32 of its TAGS property).`, ops),
    ];
  return [];
}

/** What a read answered, in words: "threw ..." or "returned ...". */
export function describeAnswer(result: Answered<QueueMessage | null>): string {
  return result.kind === "threw"
    ? `threw ${errorText(result.error)}`
    : `returned ${result.value === null ? "null" : describeMessage(result.value)}`;
}

export function describeMessage(got: QueueMessage): string {
  return typeof got === "object" && got !== null && "body" in got ? describeRecord(got) : String(got);
}

async function checkEnd(node: SimNode<Store>, ctx: TestContext<LogModule>, model: QueueModel): Promise<Anomaly[]> {
  const name = `${model.topic}/${model.queueId}`;
  const result = await recordCallResult(
    ctx.history,
    node,
    ({ queues }) => queues.nextOffset(model.topic, model.queueId),
    { client: CLIENT, f: "nextOffset", input: name, onError: "fail", output: (n) => n },
  );
  if (result.kind !== "ok") return [failedWithoutFault(result.op)];
  if (result.value === model.indexed) return [];
  return [
    anomaly(
      "wrong answer",
      `nextOffset(${name}) is ${result.value}; its index holds ${model.indexed} entries (the log holds ${model.messages.length} messages of ${name}).`,
      [result.op],
    ),
  ];
}

/** A negative queue offset is below every queue's start: OffsetOutOfRangeError, never a message or null. */
function judgeNegative(model: QueueModel, n: number, result: Answered<QueueMessage | null>): Anomaly[] {
  const name = `${model.topic}/${model.queueId}`;
  if (result.kind === "threw" && isOutOfRange(result.error)) return [];
  const answer = describeAnswer(result);
  return [
    anomaly(
      "wrong answer",
      `readQueue(${name} @${n}) ${answer}; queue offsets start at 0, so it must throw an error named OffsetOutOfRangeError (null means past the queue's end, not before its start).`,
      [result.op],
    ),
  ];
}

/** An index entry for a record the log does not have: what a power cut leaves when the index write survived and the record's did not. */
async function injectStale(
  node: SimNode<Store>,
  ctx: TestContext<LogModule>,
  model: QueueModel,
  nowMs: number,
): Promise<Anomaly[]> {
  const name = `${model.topic}/${model.queueId}`;
  ctx.history.nemesis(
    `an index entry for ${name} #${model.messages.length} appears, pointing past the end of the log (a record a power cut took away)`,
  );
  const result = await recordCallResult(
    ctx.history,
    node,
    ({ commitLog, queues }) =>
      queues.dispatch({
        record: {
          topic: model.topic,
          queueId: model.queueId,
          queueOffset: model.messages.length,
          physicalOffset: commitLog.writtenOffset + 64,
          bornTimestamp: Math.floor(SIM_EPOCH_MS + nowMs),
          storeTimestamp: Math.floor(SIM_EPOCH_MS + nowMs),
          body: utf8("lost|the record of this entry never reached the disk"),
          properties: {},
        },
        sizeBytes: 120,
      }),
    {
      client: CLIENT,
      f: "dispatch",
      input: `a record the log does not have, as ${name} #${model.messages.length}`,
      onError: "info",
      keepOutput: false,
    },
  );
  return result.kind === "ok" ? [] : [failedWithoutFault(result.op)];
}

/**
 * Rewrites the index entry of `model`'s message `n` wrongly (dispatch at a queue offset the queue
 * already holds: a rewrite), then reads it: the read must throw CorruptIndexError, or return the
 * right message; never the one the entry points at, nor the right one with the entry's tag hash.
 */
async function injectMisindex(
  node: SimNode<Store>,
  ctx: TestContext<LogModule>,
  model: QueueModel,
  n: number,
  wrong: Misindex,
  other: Appended | undefined,
): Promise<Anomaly[]> {
  const name = `${model.topic}/${model.queueId}`;
  const own = model.messages[n] as Appended;
  const neighbour = model.messages[n + 1 < model.indexed ? n + 1 : n - 1];
  const how: Misindex = wrong === "neighbour" && neighbour === undefined ? "size" : wrong;
  const elsewhere = how === "other queue" || how === "other topic";
  const target = how === "neighbour" ? (neighbour as Appended) : elsewhere && other ? other : own;
  const kind: Misindex = elsewhere && other === undefined ? "size" : how;
  const record = target.stored.record;
  const properties =
    kind === "tag hash" ? { ...record.properties, TAGS: `${record.properties.TAGS ?? ""}~` } : record.properties;
  const sizeBytes = kind === "size" ? target.stored.sizeBytes + 4 : target.stored.sizeBytes;
  // Inside the record, past its first bytes: no record starts there.
  const physicalOffset = kind === "no record" ? record.physicalOffset + 8 : record.physicalOffset;
  const points =
    kind === "neighbour" || kind === "other queue" || kind === "other topic"
      ? `at ${target.sent.id} (${record.topic}/${record.queueId} #${record.queueOffset}, @${record.physicalOffset})`
      : kind === "no record"
        ? `${physicalOffset - record.physicalOffset} bytes into its own record (@${physicalOffset}), where no record starts`
        : kind === "size"
          ? `at its own record with a size of ${sizeBytes} bytes, not ${target.stored.sizeBytes}`
          : "at its own record with another tag hash";
  ctx.history.nemesis(`the index entry of ${name} #${n} is rewritten wrong: it points ${points} (a flipped bit)`);
  const dispatched = await recordCallResult(
    ctx.history,
    node,
    ({ queues }) =>
      queues.dispatch({
        record: { ...record, topic: model.topic, queueId: model.queueId, queueOffset: n, physicalOffset, properties },
        sizeBytes,
      }),
    {
      client: CLIENT,
      f: "dispatch",
      input: `a wrong entry for ${name} #${n}, pointing ${points}`,
      onError: "info",
      keepOutput: false,
    },
  );
  if (dispatched.kind !== "ok") return [failedWithoutFault(dispatched.op)];
  const result = await readQueueAt(node, ctx, model, n);
  if (result.kind === "lost") return [failedWithoutFault(result.op)];
  if (result.kind === "threw" && errorName(result.error) === "CorruptIndexError") return [];
  const related = [own.op, dispatched.op, result.op];
  const rule =
    "A read checks the record its entry leads to (topic, queue, queue offset, size, tag hash) and, when they disagree after READ_ATTEMPTS_MAX tries, throws CorruptIndexError: never another message, and never a tag hash the record does not have.";
  if (result.kind === "threw")
    return [
      anomaly(
        "wrong answer",
        `readQueue(${name} @${n}) threw ${errorText(result.error)} after its entry was rewritten to point ${points}. ${rule}`,
        related,
      ),
    ];
  if (result.value === null)
    return [
      anomaly(
        "lost write",
        `readQueue(${name} @${n}) returned null after its entry was rewritten to point ${points}; ${own.sent.id} is there. ${rule}`,
        related,
      ),
    ];
  const found = compareQueueMessage(own, result.value, related, `readQueue(${name} @${n})`);
  return found.map((a) => ({
    ...a,
    explanation: `${a.explanation} Its entry had been rewritten to point ${points}. ${rule}`,
  }));
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

async function rebuild(node: SimNode<Store>, ctx: TestContext<LogModule>): Promise<Anomaly[]> {
  const result = await recordCallResult(ctx.history, node, ({ queues }) => queues.rebuild(), {
    client: CLIENT,
    f: "rebuild",
    onError: "fail",
    keepOutput: false,
  });
  return result.kind === "ok" ? [] : [failedWithoutFault(result.op)];
}

async function restart(node: SimNode<Store>, ctx: TestContext<LogModule>): Promise<Anomaly[]> {
  ctx.history.nemesis(`${NODE} restarts; its boot rebuilds the consume queues from the log`);
  node.crash();
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  return [];
}
