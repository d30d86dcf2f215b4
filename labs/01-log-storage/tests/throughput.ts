/**
 * Part L1.G: costs, measured in simulated time and in disk calls, never in real time: the same
 * seed gives the same figures on every machine.
 *
 *   1. Group commit. 64 producers append at once under synchronous flush, on a disk whose every
 *      fsync takes 1 ms and whose flushes run one at a time. The grader first plays the same
 *      appends against a baseline it owns: write the record, fsync, acknowledge, one fsync per
 *      message. The log must be at least 10 times faster than the baseline.
 *   2. Queue lookups. Reading a queue offset must cost a constant number of disk reads: the
 *      grader counts the reads (and bytes) each readQueue makes, at the start, the middle and the
 *      end of a long queue.
 *
 * Anomalies:
 *   too slow  512 appends took 410.3 ms against 515.0 ms for one fsync each: 1.3x, not 10x
 *             readQueue(orders/0 @255) made 257 disk reads
 */
import fc from "fast-check";
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { isProgrammingError, rethrowFrom } from "#harness/grade/verdict.ts";
import { SIM_EPOCH_MS } from "#harness/sim/clock.ts";
import { errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Disk, Env } from "#lab";
import { type LogConfig, type LogModule, type MessageLog, openLogWith, recordSizeOf } from "./api.ts";
import { describeRecord, MessageBook, type SentMessage } from "./messages.ts";

export interface ThroughputScenario {
  producers: number;
  perProducer: number;
  bodyBytes: { min: number; max: number };
}

export const throughputScenarioArb: fc.Arbitrary<ThroughputScenario> = fc.record({
  producers: fc.constant(64),
  perProducer: fc.integer({ min: 6, max: 8 }),
  bodyBytes: fc.integer({ min: 100, max: 300 }).map((min) => ({ min, max: min + 200 })),
});

/** The disk of this part: fixed latencies, so that the ratio is the design's, not the dice's. */
export const THROUGHPUT_DISK = { fsyncMs: 1, writeMs: 0.01, readMs: 0.01, metadataMs: 0.01 };
/** The log part G measures: sync flush, segments and index files big enough that nothing rolls. */
const THROUGHPUT_LOG: LogConfig = { segmentBytes: 64 * 1024, entriesPerFile: 1024, flush: { mode: "sync" } };
export const SPEEDUP_MIN = 10;
/**
 * Part G's budget for one lookup, stated in src/consume-queue.ts (ConsumeQueueStore.read) and the
 * guide: at most this many disk reads, of at most the record's size plus the slack in bytes. What
 * any implementation must read is the 20-byte entry and the record; the slack leaves room for a
 * separate header read or a read-ahead guess of up to about a kilobyte, never for a scan.
 */
const READS_PER_LOOKUP_MAX = 6;
const LOOKUP_BYTES_SLACK = 1024;

export function describeThroughputScenario(scenario: ThroughputScenario): string[] {
  return [
    `(no faults; every fsync takes ${THROUGHPUT_DISK.fsyncMs} ms and flushes run one at a time)`,
    `workload: ${scenario.producers} producers append ${scenario.perProducer} messages each (bodies of ${scenario.bodyBytes.min}..${scenario.bodyBytes.max} bytes) under synchronous flush, ` +
      `first to the grader's one-fsync-per-message baseline, then to your log; then queue lookups at the start, middle and end of a queue of ${(scenario.producers * scenario.perProducer) / 2}`,
  ];
}

/** Counts what a disk is asked to read. */
class CountingDisk {
  reads = 0;
  bytes = 0;

  wrap(disk: Disk): Disk {
    return new Proxy(disk, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver);
        if (key !== "read" || typeof value !== "function")
          return typeof value === "function" ? value.bind(target) : value;
        return async (path: string, offset: number, length: number) => {
          const data = (await value.call(target, path, offset, length)) as Uint8Array;
          this.reads++;
          this.bytes += data.length;
          return data;
        };
      },
    });
  }
}

/** One fsync per message: what the log is measured against. */
function baselineLog(env: Env) {
  const file = "baseline.log";
  let end = 0;
  return {
    async open() {
      await env.disk.create(file);
      await env.disk.fsyncDir("");
    },
    async append(bytes: number): Promise<void> {
      const at = end;
      end += bytes;
      await env.disk.write(file, at, new Uint8Array(bytes));
      await env.disk.fsync(file);
    },
  };
}

export async function runThroughputWorkload(
  ctx: TestContext<LogModule>,
  scenario: ThroughputScenario,
): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const book = new MessageBook(ctx.rng.fork("messages"));
  const count = scenario.producers * scenario.perProducer;
  const messages: SentMessage[] = [];
  for (let i = 0; i < count; i++) {
    const bodyBytes = scenario.bodyBytes.min + ctx.rng.int(scenario.bodyBytes.max - scenario.bodyBytes.min + 1);
    messages.push(book.make({ topic: 0, queueId: i % 2, bodyBytes, tagged: i % 3 === 0 }, SIM_EPOCH_MS));
  }
  const batches = Array.from({ length: scenario.producers }, (_, p) =>
    messages.filter((_, i) => i % scenario.producers === p),
  );

  // 1. The baseline.
  const baseline = world.addNode("baseline", async (env) => {
    const log = baselineLog(env);
    await log.open();
    return log;
  });
  await baseline.start();
  const baseOp = history.invoke("grader", "baseline", `${count} appends, one fsync each`);
  const baseStart = world.nowMs;
  await Promise.all(
    batches.map(async (batch) => {
      for (const m of batch) await baseline.invoke((log) => log.append(recordSizeOf(m.message)));
    }),
  );
  const baseMs = world.nowMs - baseStart;
  history.complete(baseOp, "ok", { output: `${baseMs.toFixed(1)} ms` });

  // 2. The learner's log, with group commit.
  const counter = new CountingDisk();
  const node = world.addNode<MessageLog>("n1", (env) =>
    openLogWith(ctx.implFor(env), { ...env, disk: counter.wrap(env.disk) }, THROUGHPUT_LOG),
  );
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  const logOp = history.invoke("producers", "append", `${count} messages from ${scenario.producers} producers at once`);
  const logStart = world.nowMs;
  const failures: string[] = [];
  const results = new Map<SentMessage, { physicalOffset: number; queueOffset: number }>();
  await Promise.all(
    batches.map(async (batch) => {
      for (const m of batch) {
        const outcome = await node.invoke((log) => log.append(m.message));
        if (outcome.kind === "ok") results.set(m, outcome.value);
        else if (outcome.kind === "error") {
          if (isProgrammingError(outcome.error)) rethrowFrom(`append(${m.id})`, outcome.error);
          failures.push(`${m.id}: ${errorText(outcome.error)}`);
        } else failures.push(`${m.id}: ${outcome.kind}`);
      }
    }),
  );
  const logMs = world.nowMs - logStart;
  if (failures.length > 0) {
    history.complete(logOp, "fail", { note: `${failures.length} appends failed` });
    return [
      anomaly("wrong answer", `with no fault at all, ${failures.length} appends failed; the first: ${failures[0]}.`, [
        logOp,
      ]),
    ];
  }
  history.complete(logOp, "ok", { output: `${logMs.toFixed(1)} ms` });
  const speedup = baseMs / Math.max(logMs, 1e-9);
  if (speedup < SPEEDUP_MIN) {
    return [
      anomaly(
        "too slow",
        `${count} appends from ${scenario.producers} producers took ${logMs.toFixed(1)} ms of simulated time; the baseline, one fsync per message, took ${baseMs.toFixed(1)} ms: ` +
          `your log is ${speedup.toFixed(1)} times faster, and group commit should make it at least ${SPEEDUP_MIN} times faster. ` +
          "While one fsync runs, the next appends are written; one fsync after it can acknowledge all of them.",
        [baseOp, logOp],
      ),
    ];
  }
  return checkLookups(ctx, node, counter, book, messages, results);
}

async function checkLookups(
  ctx: TestContext<LogModule>,
  node: import("#harness/sim/node.ts").SimNode<MessageLog>,
  counter: CountingDisk,
  book: MessageBook,
  messages: SentMessage[],
  results: Map<SentMessage, { physicalOffset: number; queueOffset: number }>,
): Promise<Anomaly[]> {
  const queue = messages.filter((m) => m.message.queueId === 0);
  const length = queue.length;
  for (const n of [0, Math.floor(length / 2), length - 1]) {
    const want = queue.find((m) => results.get(m)?.queueOffset === n);
    if (want === undefined) continue;
    counter.reads = 0;
    counter.bytes = 0;
    const result = await recordCallResult(ctx.history, node, (log) => log.readQueue("orders", 0, n), {
      client: "reader",
      f: "readQueue",
      input: `orders/0 @${n}`,
      onError: "fail",
      output: (m) => (m === null ? null : describeRecord(m)),
    });
    const identity = result.kind === "ok" && result.value !== null ? book.identify(result.value) : null;
    if (identity?.kind !== "ok" || identity.sent !== want) {
      return [
        anomaly(
          "wrong answer",
          `readQueue(orders/0 @${n}) did not return ${want.id}, the message at that queue offset.`,
          [result.op],
        ),
      ];
    }
    const reads = counter.reads;
    const bytes = counter.bytes;
    const budget = recordSizeOf(want.message) + LOOKUP_BYTES_SLACK;
    if (reads > READS_PER_LOOKUP_MAX || bytes > budget) {
      return [
        anomaly(
          "too slow",
          `readQueue(orders/0 @${n}), in a queue of ${length} messages, made ${reads} disk reads of ${bytes} bytes in all. ` +
            `A lookup should cost a constant number of reads, however long the queue: at most ${READS_PER_LOOKUP_MAX}, of at most ${budget} bytes in all (the record's ${recordSizeOf(want.message)} plus ${LOOKUP_BYTES_SLACK}): ` +
            "its index entry sits at a position computed from the queue offset.",
          [result.op],
        ),
      ];
    }
  }
  return [];
}
