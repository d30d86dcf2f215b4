/**
 * The log workload of parts L1.D, L1.E and L1.F: clients append, read and flush through
 * the MessageLog (provided.ts's openLogWith over the learner's parts) while the fault plan runs; then, once every fault has healed, the grader
 * reads back every acknowledged message by its offset, reads every queue from its start, and
 * appends once more. log-checker.ts judges the history.
 *
 * Every client runs its script one call at a time; clients run concurrently, so appends race and
 * group commit has something to group.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { applyPlan, describePlan, type FaultPlan } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { isProgrammingError } from "#harness/grade/verdict.ts";
import { SIM_EPOCH_MS } from "#harness/sim/clock.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { plural } from "#harness/words.ts";
import { type CallResult, errorText, recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import {
  type FlushConfig,
  isOutOfRange,
  type LogConfig,
  type LogModule,
  type MessageLog,
  type MessageRecord,
  openLogWith,
} from "./api.ts";
import {
  describeRecoveryCrash,
  NodeLife,
  type RecoveryCrash,
  scheduleCleanRestarts,
  scheduleRecoveryCrashes,
} from "./faults.ts";
import { type CheckInput, checkLog } from "./log-checker.ts";
import { describeRecord, MessageBook, type MessageSpec, type SentMessage, TOPICS } from "./messages.ts";

export type ClientOp =
  | { kind: "append"; spec: MessageSpec; gapMs: number }
  | { kind: "read"; pick: number; gapMs: number }
  | { kind: "readQueue"; queue: number; pick: number; gapMs: number }
  | { kind: "flush"; gapMs: number }
  | { kind: "expire"; gapMs: number };

export interface LogScenario {
  flush: FlushConfig;
  segmentBytes: number;
  entriesPerFile: number;
  retentionMs?: number;
  clients: ClientOp[][];
  plan: FaultPlan;
  recoveryCrashes: RecoveryCrash[];
  cleanRestarts: number[];
  /** Part H: each file's write buffer (unset: none). */
  writeBufferBytes?: number;
}

export const QUEUE_IDS = 2;
const QUEUES = TOPICS.length * QUEUE_IDS;

/** What a part's scenarios look like. */
export interface LogShape {
  flush: fc.Arbitrary<FlushConfig>;
  clients: { min: number; max: number };
  opsPerClient: { min: number; max: number };
  gapMs: { max: number };
  weights: Partial<Record<ClientOp["kind"], number>>;
  maxBodyBytes: number;
  plan: fc.Arbitrary<FaultPlan>;
  recoveryCrashes?: { arb: fc.Arbitrary<RecoveryCrash>; max: number };
  cleanRestarts?: { windowMs: number; max: number };
  retentionMs?: number;
}

export function logScenarioArb(shape: LogShape): fc.Arbitrary<LogScenario> {
  const gapMs = fc.integer({ min: 0, max: shape.gapMs.max });
  const spec = fc.record({
    topic: fc.integer({ min: 0, max: TOPICS.length - 1 }),
    queueId: fc.integer({ min: 0, max: QUEUE_IDS - 1 }),
    bodyBytes: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 8, max: 160 }) },
      { weight: 1, arbitrary: fc.integer({ min: 8, max: shape.maxBodyBytes }) },
    ),
    tagged: fc.boolean(),
  });
  const pick = fc.nat({ max: 1_000_000 });
  const w = { append: 6, read: 2, readQueue: 2, flush: 0, expire: 0, ...shape.weights };
  const kinds: Array<{ weight: number; arbitrary: fc.Arbitrary<ClientOp> }> = [
    { weight: w.append, arbitrary: fc.record({ kind: fc.constant("append" as const), spec, gapMs }) },
    { weight: w.read, arbitrary: fc.record({ kind: fc.constant("read" as const), pick, gapMs }) },
    {
      weight: w.readQueue,
      arbitrary: fc.record({
        kind: fc.constant("readQueue" as const),
        queue: fc.integer({ min: 0, max: QUEUES - 1 }),
        pick,
        gapMs,
      }),
    },
    { weight: w.flush, arbitrary: fc.record({ kind: fc.constant("flush" as const), gapMs }) },
    { weight: w.expire, arbitrary: fc.record({ kind: fc.constant("expire" as const), gapMs }) },
  ];
  const op = fc.oneof(...kinds.filter((k) => k.weight > 0));
  const client = fc.array(op, { minLength: shape.opsPerClient.min, maxLength: shape.opsPerClient.max });
  return fc.record({
    flush: shape.flush,
    segmentBytes: fc.constantFrom(1024, 2048, 4096),
    entriesPerFile: fc.constantFrom(4, 16),
    retentionMs: shape.retentionMs === undefined ? fc.constant(undefined) : fc.constant(shape.retentionMs),
    clients: fc.array(client, { minLength: shape.clients.min, maxLength: shape.clients.max }),
    plan: shape.plan,
    recoveryCrashes: shape.recoveryCrashes
      ? fc
          .array(shape.recoveryCrashes.arb, { maxLength: shape.recoveryCrashes.max })
          .map((list) => [...list].sort((a, b) => a.atMs - b.atMs))
      : fc.constant([]),
    cleanRestarts: shape.cleanRestarts
      ? fc
          .array(fc.integer({ min: 1, max: shape.cleanRestarts.windowMs }), { maxLength: shape.cleanRestarts.max })
          .map((list) => [...list].sort((a, b) => a - b))
      : fc.constant([]),
  }) as fc.Arbitrary<LogScenario>;
}

export function describeLogScenario(scenario: LogScenario): string[] {
  const events = [
    ...describePlan(scenario.plan).filter((line) => line !== "(no faults)"),
    ...scenario.recoveryCrashes.map(describeRecoveryCrash),
    ...scenario.cleanRestarts.map(
      (at) => `${`at ${at} ms`.padEnd(12)} the operator restarts n1 cleanly (close, stop, start)`,
    ),
  ];
  const ops = scenario.clients.flat();
  const count = (kind: ClientOp["kind"]) => ops.filter((op) => op.kind === kind).length;
  const flush =
    scenario.flush.mode === "async"
      ? `async flush every ${scenario.flush.intervalMs} ms`
      : `${scenario.flush.mode} flush`;
  return [
    ...(events.length > 0 ? events : ["(no faults)"]),
    `workload: ${flush}, segments of ${scenario.segmentBytes} bytes${scenario.writeBufferBytes === undefined ? "" : `, write buffers of ${scenario.writeBufferBytes} bytes`}; ${scenario.clients.length === 1 ? "1 client" : `${scenario.clients.length} clients at once`}: ` +
      `${plural(count("append"), "append")}, ${plural(count("read"), "read")}, ${plural(count("readQueue"), "queue read")}` +
      (count("flush") > 0 ? `, ${plural(count("flush"), "flush", "flushes")}` : "") +
      (count("expire") > 0
        ? `, ${plural(count("expire"), "retention run")} (retention ${scenario.retentionMs} ms)`
        : "") +
      "; then every acknowledged message and every queue is read back",
  ];
}

const NODE = "n1";

/** What a read returned, as the checker sees it. */
export type Got =
  | { kind: "message"; record: MessageRecord & { tagsHash?: number } }
  | { kind: "null" }
  | { kind: "outOfRange" }
  | { kind: "error"; text: string };

export interface AppendEntry {
  sent: SentMessage;
  op: Op;
  result?: { physicalOffset: number; queueOffset: number; sizeBytes: number };
  /** The liveness append of the final phase. */
  final: boolean;
}

export interface ReadEntry {
  op: Op;
  offset: number;
  /** The acknowledged append whose offset this read asked for. */
  target: AppendEntry;
  got: Got;
  final: boolean;
}

export interface QueueReadEntry {
  op: Op;
  topic: string;
  queueId: number;
  n: number;
  got: Got;
  final: boolean;
}

export interface ExpireEntry {
  op: Op;
  /** The read of the oldest acknowledged message made right after it. */
  probe?: ReadEntry;
}

/** Everything the run recorded for the checker. */
export class LogRun {
  readonly appends: AppendEntry[] = [];
  readonly acked: AppendEntry[] = [];
  readonly reads: ReadEntry[] = [];
  readonly queueReads: QueueReadEntry[] = [];
  readonly flushes: Op[] = [];
  readonly closes: Array<{ op: Op }> = [];
  readonly expires: ExpireEntry[] = [];
  readonly book: MessageBook;
  readonly life: NodeLife;
  /** When the fault plan was applied: an event's time is max(its atMs, this). */
  planStartMs = 0;

  constructor(
    readonly ctx: TestContext<LogModule>,
    readonly node: SimNode<MessageLog>,
  ) {
    this.book = new MessageBook(ctx.rng.fork("messages"));
    this.life = new NodeLife(ctx.world);
  }

  async append(client: string, spec: MessageSpec, final = false): Promise<AppendEntry> {
    const sent = this.book.make(spec, SIM_EPOCH_MS + this.ctx.world.nowMs);
    const input = `${sent.id} to ${sent.message.topic}/${sent.message.queueId} (${sent.message.body.length} bytes)`;
    const result = await recordCallResult(this.ctx.history, this.node, (log) => log.append(sent.message), {
      client,
      f: "append",
      input,
      onError: "info",
      output: (r) => (r && typeof r === "object" ? `@${r.physicalOffset} #${r.queueOffset}` : r),
    });
    const entry: AppendEntry = { sent, op: result.op, final };
    if (result.kind === "ok") {
      const r = result.value;
      entry.result = { physicalOffset: r?.physicalOffset, queueOffset: r?.queueOffset, sizeBytes: r?.sizeBytes };
      this.acked.push(entry);
    }
    this.appends.push(entry);
    return entry;
  }

  async read(client: string, target: AppendEntry, final = false): Promise<ReadEntry> {
    const offset = target.result?.physicalOffset as number;
    const result = await recordCallResult(this.ctx.history, this.node, (log) => log.read(offset), {
      client,
      f: "read",
      input: offset,
      onError: "fail",
      output: (record) => describeGot(record),
      answerOf: (error) => (isOutOfRange(error) ? "out of range" : undefined),
    });
    const entry: ReadEntry = { op: result.op, offset, target, got: gotOf(result), final };
    this.reads.push(entry);
    return entry;
  }

  async readQueue(client: string, topic: string, queueId: number, n: number, final = false): Promise<QueueReadEntry> {
    const result = await recordCallResult(this.ctx.history, this.node, (log) => log.readQueue(topic, queueId, n), {
      client,
      f: "readQueue",
      input: `${topic}/${queueId} @${n}`,
      onError: "fail",
      output: (record) => (record === null ? null : describeGot(record)),
      answerOf: (error) => (isOutOfRange(error) ? "out of range" : undefined),
    });
    const entry: QueueReadEntry = { op: result.op, topic, queueId, n, got: gotOf(result), final };
    this.queueReads.push(entry);
    return entry;
  }

  async flush(client: string): Promise<void> {
    const result = await recordCallResult(this.ctx.history, this.node, (log) => log.flush(), {
      client,
      f: "flush",
      onError: "info",
      keepOutput: false,
    });
    this.flushes.push(result.op);
  }

  async expire(client: string): Promise<void> {
    const result = await recordCallResult(this.ctx.history, this.node, (log) => log.deleteExpiredSegments(), {
      client,
      f: "deleteExpiredSegments",
      onError: "info",
      output: (n) => n,
    });
    const entry: ExpireEntry = { op: result.op };
    this.expires.push(entry);
    if (result.kind !== "ok") return;
    const oldest = this.oldestAcked();
    if (oldest !== undefined) entry.probe = await this.read(client, oldest);
  }

  oldestAcked(): AppendEntry | undefined {
    let oldest: AppendEntry | undefined;
    for (const a of this.acked) {
      if (oldest === undefined || (a.result?.physicalOffset ?? 0) < (oldest.result?.physicalOffset ?? 0)) oldest = a;
    }
    return oldest;
  }

  /** The highest queue offset acknowledged for a queue, or -1. */
  maxAckedQueueOffset(topic: string, queueId: number): number {
    let max = -1;
    for (const a of this.acked) {
      if (a.sent.message.topic === topic && a.sent.message.queueId === queueId)
        max = Math.max(max, a.result?.queueOffset ?? -1);
    }
    return max;
  }
}

function gotOf(result: CallResult<unknown>): Got {
  if (result.kind === "ok") {
    const value = result.value as (MessageRecord & { tagsHash?: number }) | null;
    return value === null ? { kind: "null" } : { kind: "message", record: value };
  }
  if (result.kind === "threw" && isOutOfRange(result.error)) return { kind: "outOfRange" };
  return { kind: "error", text: result.op.threw ?? result.op.note ?? "no answer" };
}

function describeGot(record: unknown): unknown {
  if (record && typeof record === "object" && "body" in record) return describeRecord(record as MessageRecord);
  return record;
}

export async function runLogWorkload(ctx: TestContext<LogModule>, scenario: LogScenario): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const config: LogConfig = {
    segmentBytes: scenario.segmentBytes,
    entriesPerFile: scenario.entriesPerFile,
    flush: scenario.flush,
    ...(scenario.retentionMs === undefined ? {} : { retentionMs: scenario.retentionMs }),
    ...(scenario.writeBufferBytes === undefined ? {} : { writeBufferBytes: scenario.writeBufferBytes }),
  };
  let run: LogRun | null = null;
  const node = world.addNode<MessageLog>(NODE, async (env) => {
    const log = await openLogWith(ctx.implFor(env), env, config);
    run?.life.booted(env.incarnation);
    return log;
  });
  run = new LogRun(ctx, node);
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  run.life.watch(node as SimNode<unknown>);
  // Fault times count from here (the first boot takes a few milliseconds); the checker counts from here too.
  run.planStartMs = world.nowMs;
  const faults = applyPlan(world, scenario.plan, history);
  // The lab's own faults count from the plan's start too, and are outages of it: healed() waits for them.
  scheduleRecoveryCrashes(faults, node, run.life, scenario.recoveryCrashes);
  scheduleCleanRestarts(faults, node, run.life, scenario.cleanRestarts, run.closes);

  const active = run;
  await Promise.all(scenario.clients.map((ops, i) => playClient(active, `c${i + 1}`, ops)));

  // Let every fault end, and the node come back and finish booting, before the final reads.
  await faults.healed();
  for (let waited = 0; waited < 5_000; waited++) {
    if (run.life.isBooted(node as SimNode<unknown>)) break;
    await world.sleep(1);
  }
  const healedAtMs = world.nowMs;
  await finalPhase(run);

  const input: CheckInput = {
    scenario,
    run,
    healedAtMs,
    history,
  };
  return checkLog(input);
}

async function playClient(run: LogRun, client: string, ops: readonly ClientOp[]): Promise<void> {
  const world = run.ctx.world;
  for (const op of ops) {
    await world.sleep(op.gapMs);
    switch (op.kind) {
      case "append":
        await run.append(client, op.spec);
        break;
      case "read": {
        const target = run.acked[op.pick % Math.max(1, run.acked.length)];
        if (target !== undefined) await run.read(client, target);
        break;
      }
      case "readQueue": {
        const topic = TOPICS[Math.floor(op.queue / QUEUE_IDS)] as string;
        const queueId = op.queue % QUEUE_IDS;
        await run.readQueue(client, topic, queueId, op.pick % (run.maxAckedQueueOffset(topic, queueId) + 3));
        break;
      }
      case "flush":
        await run.flush(client);
        break;
      case "expire":
        await run.expire(client);
        break;
    }
  }
}

/**
 * After the faults: every acknowledged message by offset, every queue whole (each as one call in
 * the history, to keep reports short), then one more append, read back both ways.
 */
async function finalPhase(run: LogRun): Promise<void> {
  const client = "final";
  const targets = [...run.acked];
  const reads = await batch(run, client, "read", `each of the ${targets.length} acknowledged offsets`, async (log) => {
    const got: Got[] = [];
    for (const target of targets) got.push(await settle(() => log.read(target.result?.physicalOffset as number)));
    return got;
  });
  targets.forEach((target, i) => {
    const got = reads.got?.[i] ?? { kind: "error" as const, text: reads.op.note ?? "no answer" };
    run.reads.push({ op: reads.op, offset: target.result?.physicalOffset as number, target, got, final: true });
  });
  for (const topic of TOPICS) {
    for (let queueId = 0; queueId < QUEUE_IDS; queueId++) {
      const attempted = run.appends.filter(
        (a) => a.sent.message.topic === topic && a.sent.message.queueId === queueId,
      ).length;
      const mustReach = run.maxAckedQueueOffset(topic, queueId) + 1;
      const scan = await batch(
        run,
        client,
        "readQueue",
        `${topic}/${queueId} from offset 0 to its end`,
        async (log) => {
          const got: Got[] = [];
          for (let n = 0; n <= attempted + 1; n++) {
            got.push(await settle(() => log.readQueue(topic, queueId, n)));
            if (got.at(-1)?.kind === "null" && n >= mustReach) break;
          }
          return got;
        },
      );
      (scan.got ?? [{ kind: "error" as const, text: scan.op.note ?? "no answer" }]).forEach((got, n) => {
        run.queueReads.push({ op: scan.op, topic, queueId, n, got, final: true });
      });
    }
  }
  const last = await run.append(client, { topic: 0, queueId: 0, bodyBytes: 64, tagged: true }, true);
  if (last.result === undefined) return;
  await run.read(client, last, true);
  const { topic, queueId } = last.sent.message;
  await run.readQueue(client, topic, queueId, last.result.queueOffset, true);
}

/** Many reads as one call: the history shows a summary, the checker gets every answer. */
async function batch(
  run: LogRun,
  client: string,
  f: string,
  input: string,
  body: (log: MessageLog) => Promise<Got[]>,
): Promise<{ op: Op; got?: Got[] }> {
  const result = await recordCallResult(run.ctx.history, run.node, body, {
    client,
    f,
    input,
    onError: "fail",
    output: (got) => summarizeGot(got),
  });
  return result.kind === "ok" ? { op: result.op, got: result.value } : { op: result.op };
}

/** One read's answer; a programming error still ends the run, with a verdict naming the call. */
async function settle(read: () => Promise<(MessageRecord & { tagsHash?: number }) | null>): Promise<Got> {
  try {
    const value = await read();
    return value === null ? { kind: "null" } : { kind: "message", record: value };
  } catch (error) {
    if (isProgrammingError(error)) throw error;
    if (isOutOfRange(error)) return { kind: "outOfRange" };
    return { kind: "error", text: errorText(error) };
  }
}

function summarizeGot(got: Got[]): string {
  const count = (kind: Got["kind"]) => got.filter((g) => g.kind === kind).length;
  const parts = [plural(count("message"), "message")];
  if (count("outOfRange") > 0) parts.push(`${count("outOfRange")} out of range`);
  if (count("error") > 0) parts.push(plural(count("error"), "error"));
  if (count("null") > 0) parts.push("then null");
  return parts.join(", ");
}

export { NODE };
