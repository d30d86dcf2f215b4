/**
 * A consume-queue store played directly, on a node of its own: the helper that parts C and F use to
 * put the contract of src/consume-queue.ts to it sentence by sentence (queue-contract.ts,
 * queue-reads.ts, queue-below-start.ts).
 *
 * The node holds a commit log and a consume-queue store. Its boot opens both and nothing else (no
 * rebuild, no recovery): "open believes the files" is then what a restart shows. The grader plays
 * the broker: it appends, dispatches (or not), calls rebuild and flush, and cuts the power. Every
 * call is recorded in the history, and an anomaly names the calls of the direct run that led to
 * it (the grader's log), so a failure report shows the steps, not only the last one.
 */
import { type Anomaly, type AnomalyName, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { SIM_EPOCH_MS } from "#harness/sim/clock.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { SimRng } from "#harness/sim/rng.ts";
import { type CallResult, errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import { type Disk, utf8 } from "#lab";
import {
  type CommitLogApi,
  type ConsumeQueueStoreApi,
  isOutOfRange,
  type LogModule,
  type QueueMessage,
  type StoredRecord,
} from "./api.ts";
import { type Appended, MessageBook, type MessageSpec, TOPICS } from "./messages.ts";
import { compareQueueMessage, describeAnswer, describeMessage } from "./queues.ts";

export { describeAnswer, describeMessage };

export interface QueueStore {
  commitLog: CommitLogApi;
  queues: ConsumeQueueStoreApi;
  /** The node's disk, for the grader's own sync of the commit log (syncLog). */
  disk: Disk;
}

/** One queue as the grader knows it: the messages appended to it, at their queue offsets. */
export interface DirectQueue {
  topic: string;
  queueId: number;
  messages: Appended[];
}

/** How many of the direct run's latest calls an anomaly names (the grader's log of the run). */
const CALLS_SHOWN = 12;

export class QueueDirect {
  readonly node: SimNode<QueueStore>;
  readonly book: MessageBook;
  /** Every call of the direct run, oldest first. */
  private readonly calls: Op[] = [];

  constructor(
    private readonly ctx: TestContext<LogModule>,
    readonly nodeName: string,
    readonly rng: SimRng,
    firstId: number,
    readonly config: { segmentBytes: number; entriesPerFile: number },
  ) {
    this.book = new MessageBook(rng.fork("messages"), firstId);
    this.node = ctx.world.addNode<QueueStore>(nodeName, async (env) => {
      const impl = ctx.implFor(env);
      const commitLog = await impl.CommitLog.open(env, { dir: "", segmentBytes: config.segmentBytes });
      const queues = await impl.ConsumeQueueStore.open(
        env,
        { dir: "", entriesPerFile: config.entriesPerFile },
        commitLog,
      );
      // New messages are numbered from the queues as open found them: no rebuild at this boot.
      commitLog.setQueueOffsets(queues.nextOffsets());
      return { commitLog, queues, disk: env.disk };
    });
  }

  queue(topic: number, queueId: number): DirectQueue {
    return { topic: TOPICS[topic % TOPICS.length] as string, queueId, messages: [] };
  }

  async start(): Promise<void> {
    const booted = await this.node.start();
    if (booted.kind === "error") throw booted.error;
  }

  nemesis(text: string): void {
    this.ctx.history.nemesis(text);
  }

  /** A call recorded in the history and in the direct run's log. */
  async call<T>(
    f: string,
    input: unknown,
    body: (store: QueueStore) => Promise<T> | T,
    output?: (value: T) => unknown,
  ): Promise<CallResult<T>> {
    const result = await recordCallResult(this.ctx.history, this.node, body, {
      client: "grader",
      f,
      input,
      onError: "fail",
      ...(output === undefined ? { keepOutput: false } : { output }),
      answerOf: (error) => (isOutOfRange(error) ? "out of range" : undefined),
    });
    this.calls.push(result.op);
    return result as CallResult<T>;
  }

  /** An anomaly naming `ops` and the latest calls of the direct run. */
  anomaly(name: AnomalyName, explanation: string, ops: Op[] = []): Anomaly[] {
    const shown = new Set([...this.calls.slice(-CALLS_SHOWN), ...ops]);
    return [anomaly(name, explanation, [...shown])];
  }

  /** A call that threw or got no answer with no fault under way. */
  failed(result: Exclude<CallResult<unknown>, { kind: "ok" }>, why = ""): Anomaly[] {
    const how = result.kind === "threw" ? `it threw ${errorText(result.error)}` : "no answer";
    return this.anomaly("wrong answer", `${result.op.f} failed with no fault under way: ${how}.${why}`, [result.op]);
  }

  /** A new message for `queue`, `recordBytes` long if given. */
  make(queue: DirectQueue, recordBytes?: number): Appended["sent"] {
    const topic = TOPICS.indexOf(queue.topic as (typeof TOPICS)[number]);
    const spec: MessageSpec = { topic, queueId: queue.queueId, bodyBytes: 20 + this.rng.int(60), tagged: true };
    return this.book.make(spec, SIM_EPOCH_MS + this.ctx.world.nowMs, recordBytes);
  }

  /** Appends a message to the log, and dispatches it unless `dispatch` is false. */
  async append(queue: DirectQueue, dispatch: boolean, recordBytes?: number): Promise<Appended | Anomaly[]> {
    const sent = this.make(queue, recordBytes);
    const result = await this.call(
      dispatch ? "append+dispatch" : "append (not dispatched)",
      `${sent.id} to ${queue.topic}/${queue.queueId}`,
      async ({ commitLog, queues }) => {
        const stored = await commitLog.append(sent.message);
        if (dispatch) await queues.dispatch(stored);
        return stored;
      },
      (stored) => (stored?.record ? `@${stored.record.physicalOffset} #${stored.record.queueOffset}` : stored),
    );
    if (result.kind !== "ok") return this.failed(result);
    const want = queue.messages.length;
    if (result.value?.record?.queueOffset !== want) {
      return this.anomaly(
        "wrong answer",
        `${sent.id} got queue offset ${result.value?.record?.queueOffset}; ${queue.topic}/${queue.queueId} holds ${want} messages, so the next is ${want}. The commit log numbers a queue's messages from its consume queue's nextOffset: queue offsets never go back, and never skip.`,
        [result.op],
      );
    }
    const appended = { sent, stored: result.value, op: result.op };
    queue.messages.push(appended);
    return appended;
  }

  /** dispatch(stored), recorded with what it stands for. */
  async dispatch(stored: StoredRecord, what: string): Promise<Anomaly[]> {
    const r = stored.record;
    const result = await this.call("dispatch", `${r.topic}/${r.queueId} #${r.queueOffset}: ${what}`, ({ queues }) =>
      queues.dispatch(stored),
    );
    return result.kind === "ok" ? [] : this.failed(result);
  }

  /** nextOffset of `queue` must be `want` (or at least `want`, with `atLeast`). */
  async checkEnd(queue: DirectQueue, want: number, why: string, atLeast = false): Promise<Anomaly[]> {
    const name = `${queue.topic}/${queue.queueId}`;
    const result = await this.call(
      "nextOffset",
      name,
      ({ queues }) => queues.nextOffset(queue.topic, queue.queueId),
      (n) => n,
    );
    if (result.kind !== "ok") return this.failed(result);
    if (atLeast ? result.value >= want : result.value === want) return [];
    return this.anomaly(
      "wrong answer",
      `nextOffset(${name}) is ${result.value}; it must be ${atLeast ? "at least " : ""}${want}: ${why}`,
      [result.op],
    );
  }

  /** queues.read, recorded; "out of range" is an answer. */
  read(queue: DirectQueue, n: number): Promise<CallResult<QueueMessage | null>> {
    return this.call(
      "readQueue",
      `${queue.topic}/${queue.queueId} @${n}`,
      ({ queues }) => queues.read(queue.topic, queue.queueId, n),
      (m) => (m === null ? null : describeMessage(m)),
    );
  }

  /** A read of a message the queue holds must return it, exactly. */
  async checkHeld(queue: DirectQueue, n: number, why: string): Promise<Anomaly[]> {
    const want = queue.messages[n] as Appended;
    const name = `${queue.topic}/${queue.queueId}`;
    const result = await this.read(queue, n);
    if (result.kind === "lost") return this.failed(result);
    const what = `readQueue(${name} @${n})`;
    if (result.kind === "threw" || result.value === null) {
      const answer = result.kind === "threw" ? `threw ${errorText(result.error)}` : "returned null";
      return this.anomaly(
        "lost write",
        `${want.sent.id} was appended and indexed as ${name} #${n}, but ${what} ${answer}. ${why}`,
        [want.op, result.op],
      );
    }
    const found = compareQueueMessage(want, result.value, [want.op, result.op], what);
    return found.length === 0
      ? []
      : this.anomaly(found[0]?.name ?? "wrong answer", `${found[0]?.explanation} ${why}`, found[0]?.ops);
  }

  /** A read at or past the queue's end must return null. */
  async checkPastEnd(queue: DirectQueue, n: number, why: string): Promise<Anomaly[]> {
    const name = `${queue.topic}/${queue.queueId}`;
    const result = await this.read(queue, n);
    if (result.kind === "lost") return this.failed(result);
    if (result.kind === "ok" && result.value === null) return [];
    const answer = describeAnswer(result);
    return this.anomaly(
      "wrong answer",
      `readQueue(${name} @${n}) ${answer}; ${name} holds ${queue.messages.length} messages, so @${n} is at or past its end and the answer is null. ${why}`,
      [result.op],
    );
  }

  /** Reads `queue` at `n`, which must throw OffsetOutOfRangeError; `why` ends the verdict's sentence. */
  async checkOutOfRange(queue: DirectQueue, n: number, why: string): Promise<Anomaly[]> {
    const result = await this.read(queue, n);
    if (result.kind === "lost") return this.failed(result);
    if (result.kind === "threw" && isOutOfRange(result.error)) return [];
    const answer = describeAnswer(result);
    return this.anomaly("wrong answer", `readQueue(${queue.topic}/${queue.queueId} @${n}) ${answer}; ${why}`, [
      result.op,
    ]);
  }

  /** A record the log does not have, as the next message of `queue` (what a power cut can leave in an index). */
  phantom(queue: DirectQueue, queueOffset: number, physicalOffset: number): StoredRecord {
    const nowMs = Math.floor(SIM_EPOCH_MS + this.ctx.world.nowMs);
    return {
      record: {
        topic: queue.topic,
        queueId: queue.queueId,
        queueOffset,
        physicalOffset,
        bornTimestamp: nowMs,
        storeTimestamp: nowMs,
        body: utf8("lost|the record of this entry never reached the disk"),
        properties: {},
      },
      sizeBytes: 120,
    };
  }

  /**
   * Makes the commit log durable without asking it to: every file and folder outside
   * `consumequeue/` fsynced, the folders deepest first. Part C grades the queues' flush, and must
   * not need flushTo (part D's code) to do it.
   */
  async syncLog(): Promise<Anomaly[]> {
    const result = await this.call(
      "the grader fsyncs every file and folder outside consumequeue/ (the commit log, durable)",
      undefined,
      async ({ disk }) => {
        const dirs: string[] = [];
        const walk = async (dir: string): Promise<void> => {
          dirs.push(dir);
          for (const name of await disk.list(dir)) {
            const path = dir === "" ? name : `${dir}/${name}`;
            if (path === "consumequeue") continue;
            let isDir = true;
            try {
              await disk.list(path);
            } catch {
              isDir = false;
            }
            if (isDir) await walk(path);
            else await disk.fsync(path);
          }
        };
        await walk("");
        for (const dir of dirs.reverse()) await disk.fsyncDir(dir);
      },
    );
    return result.kind === "ok" ? [] : this.failed(result);
  }

  /** Cuts the node's power and boots it again (open only: no rebuild). */
  async powerCycle(why: string): Promise<void> {
    this.nemesis(`${this.nodeName} loses power (unsynced writes may be lost, torn or reordered); ${why}`);
    this.node.powerLoss();
    await this.start();
  }
}
