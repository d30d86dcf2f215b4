/**
 * The consuming side of lab 02's workloads: the harness's producer fills the topic while consumers
 * process it under the fault plan; once the faults are over, every acknowledged message must be
 * processed, in key order, by one consumer per queue at a time.
 */
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { anomaly } from "#harness/checkers/anomaly.ts";
import { applyPlan, type FaultPlan } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { rethrowFrom } from "#harness/grade/verdict.ts";
import type { Op } from "#harness/workloads/history.ts";
import type { Env } from "#lab";
import type { QueueWorker } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import type { OrderingModule } from "./api.ts";
import { checkProcessing, checkQueues, type ProcessingRules } from "./checker.ts";
import {
  consumerIdOf,
  deployBroker,
  GROUP,
  type HandlerBehaviour,
  harnessConsumer,
  makeHandler,
  messageId,
  settlePending,
  startInfrastructure,
} from "./deployment.ts";
import { addHarnessProducer } from "./produce.ts";

export interface ConsumeLoad {
  keys: number;
  messagesPerKey: number;
  queueCount: number;
  /** Pause between two messages the harness's producer sends: the topic fills while consumers run. */
  produceGapMs: number;
  behaviour: HandlerBehaviour;
}

export interface ConsumeSetup {
  consumers: number;
  /**
   * When each consumer after the first starts (the first starts at once). Members that join while
   * the topic is busy, after leases have run a while, make the rebalances that test the locks.
   */
  joinAtMs: readonly number[];
  /** "worker": the harness locks the queues and runs the learner's worker (L2.C, L2.F).
   *  "group": the learner's consumer does it all (L2.D, L2.E). */
  mode: "worker" | "group";
  worker: (impl: OrderingModule) => QueueWorker;
  fencing: boolean;
  rules: ProcessingRules;
  /** L2.E: one consumer freezes inside a handler call, between its work and its effect. */
  gcPause?: GcPause;
}

/**
 * A GC pause at the worst moment: consumer `node` freezes for `forMs` during its `call`-th handler
 * call (counted over all its incarnations), after the work is done and before the effect is
 * written. The consumer checked its lease before the message; nothing it can check afterwards runs
 * while it is frozen. This is the case a lease cannot cover and a fencing token can.
 */
export interface GcPause {
  node: string;
  call: number;
  forMs: number;
}

export function describeGcPause(pause: GcPause): string {
  return `${pause.node} freezes for ${pause.forMs} ms during its handler call #${pause.call}, after the work and before the effect is written (a GC pause at the worst moment)`;
}

/**
 * Liveness, once every fault is over: the consumers must keep making progress until every
 * acknowledged message is processed. The run ends as soon as they are all done (and no consumer is
 * frozen mid-message), or, once the faults are over, when nothing new was processed for STALL_MS
 * (stuck), or at HARD_STOP_MS after the faults (far too slow).
 */
export const STALL_MS = 3_000;
export const HARD_STOP_MS = 60_000;

export function keyedMessages(load: Pick<ConsumeLoad, "keys" | "messagesPerKey">): Array<{ key: string; id: string }> {
  const out: Array<{ key: string; id: string }> = [];
  for (let n = 1; n <= load.messagesPerKey; n++) {
    for (let k = 1; k <= load.keys; k++) out.push({ key: `k${k}`, id: messageId("p0", `k${k}`, n) });
  }
  return out;
}

export async function runConsumeWorkload(
  ctx: TestContext<OrderingModule>,
  load: ConsumeLoad,
  setup: ConsumeSetup,
  plan: FaultPlan,
): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const deployment = deployBroker(ctx, load.queueCount, setup.fencing);
  await startInfrastructure(ctx, deployment);
  const beforeEffect = gcPauseHook(ctx, setup.gcPause);
  const consumers = Array.from({ length: setup.consumers }, (_, i) =>
    world.addNode(`c${i + 1}`, (env) => {
      const own = ctx.implFor(env);
      const worker = setup.worker(own);
      if (setup.mode === "worker") return harnessConsumer(ctx, worker, load.queueCount, load.behaviour)(env);
      return own
        .openConsumer(env, {
          group: GROUP,
          brokerId: "broker",
          consumerId: consumerIdOf(env),
          handler: makeHandler(
            env,
            consumerIdOf(env),
            history,
            world.rootRng.fork(`handler:${consumerIdOf(env)}`),
            load.behaviour,
            (message) => beforeEffect(env, message),
          ),
          worker,
        })
        .then(() => undefined);
    }),
  );
  const producer = addHarnessProducer(ctx, keyedMessages(load), load.queueCount, load.produceGapMs);
  await producer.start();
  const faults = applyPlan(world, plan, history);
  // Members join one after another, at the scenario's times: every join is a rebalance.
  const joins = consumers.map((node, i) => ({ node, atMs: i === 0 ? 0 : (setup.joinAtMs[i - 1] ?? 0) }));
  for (const { node, atMs } of joins.sort((a, b) => a.atMs - b.atMs)) {
    if (atMs > world.nowMs) await world.sleep(atMs - world.nowMs);
    if (node.isUp) continue;
    const started = await node.start();
    if (started.kind === "error")
      rethrowFrom(setup.mode === "group" ? "openConsumer" : "your queue worker", started.error);
  }

  const endMs = faults.endMs;
  const total = keyedMessages(load).length;
  let progressAtMs = endMs;
  let processedCount = 0;
  for (;;) {
    await world.sleep(20);
    const count = history.ops.filter((op) => op.f === "process" && op.status === "ok").length;
    if (count > processedCount) {
      processedCount = count;
      progressAtMs = Math.max(progressAtMs, world.nowMs);
    }
    // A frozen consumer's write may still land (that is what L2.E watches for): wait for it.
    if (consumers.some((node) => node.isPaused)) continue;
    // Everything is processed: whatever faults remain, the most they can cause is a rewind.
    if (sendsAcked(ctx.history.ops) === total && everyAckedProcessed(ctx.history.ops)) break;
    if (world.nowMs < endMs) continue;
    if (world.nowMs > progressAtMs + STALL_MS || world.nowMs > endMs + HARD_STOP_MS) break;
  }
  // The run is over: stop the consumers, so that nothing they still had in flight completes later.
  for (const node of consumers) node.crash();
  const processed = history.ops.filter((op) => op.f === "process");
  settlePending(history);
  const queues = await deployment.readAllQueues();
  const sends = history.ops.filter((op) => op.f === "send");
  const acked = new Set(sends.filter((op) => op.status === "ok").map((op) => (op.input as { id: string }).id));
  const broken = checkQueues(sends, queues);
  if (broken.length > 0) return broken;
  return checkProcessing(processed, queues, acked, setup.rules);
}

/** The hook that plays a GcPause from inside the handler (a no-op without one). */
function gcPauseHook(
  ctx: TestContext<OrderingModule>,
  pause: GcPause | undefined,
): (env: Env, message: StoredMessage) => Promise<void> {
  let calls = 0;
  return async (env) => {
    if (pause === undefined || env.nodeId !== pause.node || ++calls !== pause.call) return;
    const { world, history } = ctx;
    const node = world.node(env.nodeId);
    history.nemesis(describeGcPause(pause));
    node.pause();
    world.at(world.nowMs + pause.forMs, `resume ${env.nodeId}`, () => {
      history.nemesis(`${env.nodeId} resumes after ${pause.forMs} ms, and goes on to write the effect`);
      node.resume();
    });
    await env.clock.sleep(0); // held until the node resumes
  };
}

function sendsAcked(ops: readonly Op[]): number {
  return ops.filter((op) => op.f === "send" && op.status === "ok").length;
}

function everyAckedProcessed(ops: readonly Op[]): boolean {
  const done = new Set(
    ops.filter((op) => op.f === "process" && op.status === "ok").map((op) => (op.input as { id: string }).id),
  );
  return ops.every((op) => op.f !== "send" || op.status !== "ok" || done.has((op.input as { id: string }).id));
}

/**
 * L2.F's throughput test: the same queue, consumed first by the one-at-a-time baseline (group
 * "base"), then by the learner's key-parallel worker (group "g"). Same messages, same handler.
 */
export async function runThroughputWorkload(
  ctx: TestContext<OrderingModule>,
  baseline: QueueWorker,
  minimumRatio: number,
): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const load: ConsumeLoad = {
    keys: 16,
    messagesPerKey: 6,
    queueCount: 1,
    produceGapMs: 0,
    behaviour: { processingMs: 10, slowRate: 0, slowMs: 10, failureRate: 0 },
  };
  const deployment = deployBroker(ctx, 1, false);
  await startInfrastructure(ctx, deployment);
  const messages = keyedMessages(load);
  await addHarnessProducer(ctx, messages, 1, 0).start();
  while (sendsAcked(history.ops) < messages.length) await world.sleep(5);

  const measure = async (name: string, group: string, workerOf: (env: Env) => QueueWorker) => {
    const node = world.addNode(name, (env) => harnessConsumer(ctx, workerOf(env), 1, load.behaviour, group)(env));
    const started = await node.start();
    if (started.kind === "error") rethrowFrom("your queue worker", started.error);
    const ids = () =>
      new Set(
        history.ops
          .filter((op) => op.f === "process" && op.status === "ok" && op.client.startsWith(`${name}#`))
          .map((op) => (op.input as { id: string }).id),
      );
    const deadline = world.nowMs + 10_000;
    while (ids().size < messages.length && world.nowMs < deadline) await world.sleep(5);
    node.crash();
    const ops = history.ops.filter((op) => op.f === "process" && op.client.startsWith(`${name}#`));
    const first = Math.min(...ops.map((op) => op.invokedAtMs));
    const last = Math.max(...ops.map((op) => op.completedAtMs ?? op.invokedAtMs));
    return { done: ids().size, elapsedMs: last - first, ops };
  };
  const base = await measure("base", "base", () => baseline);
  const learner = await measure("c1", GROUP, (env) => ctx.implFor(env).runKeyParallelQueue);
  settlePending(history);
  const queues = await deployment.readAllQueues();
  const acked = new Set(messages.map((m) => m.id));
  const broken = checkProcessing(learner.ops, queues, acked, { oneInFlightPerQueue: false, fencedLedger: false });
  if (broken.length > 0) return broken;
  const ratio = base.elapsedMs / learner.elapsedMs;
  if (ratio < minimumRatio) {
    return [
      anomaly(
        "too slow",
        `${messages.length} messages over ${load.keys} keys, ${load.behaviour.processingMs} ms each: the one-at-a-time worker took ${base.elapsedMs.toFixed(0)} ms, yours ${learner.elapsedMs.toFixed(0)} ms, ${ratio.toFixed(1)} times as fast. The goal is ${minimumRatio} times: run different keys at the same time.`,
      ),
    ];
  }
  return [];
}
