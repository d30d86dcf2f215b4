/**
 * The consuming side of lab 02's workloads: the harness's producer fills the topic while consumers
 * process it under the fault plan; once the faults are over, every acknowledged message must be
 * processed, in key order, by one consumer per queue at a time.
 */
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { anomaly } from "#harness/checkers/anomaly.ts";
import type { ActiveFaults } from "#harness/faults/apply.ts";
import { applyPlan, type FaultPlan } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { rethrowFrom } from "#harness/grade/verdict.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { formatMs } from "#harness/sim/trace.ts";
import { describeOp, formatValue, type Op } from "#harness/workloads/history.ts";
import type { Env } from "#lab";
import { type OrderlyConsumer, type QueueWorker, TIMING } from "#labs/02-ordered-messages/provided.ts";
import type { BrokerRequest } from "#labs/shared/broker/protocol.ts";
import type { OrderingModule } from "./api.ts";
import {
  type Committed,
  checkProcessing,
  checkQueues,
  type FencedCommit,
  type ProcessingRules,
  rulesOn,
  type SentCommit,
} from "./checker.ts";
import {
  consumerIdOf,
  type Deployment,
  deployBroker,
  GROUP,
  type HandlerBehaviour,
  type HandlerSetup,
  harnessConsumer,
  makeHandler,
  messageId,
  settlePending,
  startInfrastructure,
  type Takeover,
} from "./deployment.ts";
import { type KeyStyle, keyName } from "./keys.ts";
import { copyThatSetBack, type LateCopies, LateCopyTracker } from "./late-copies.ts";
import { addHarnessProducer } from "./produce.ts";

export interface ConsumeLoad {
  keys: number;
  keyStyle: KeyStyle;
  messagesPerKey: number;
  /**
   * Keys that have fewer messages than messagesPerKey, by key number (1-based). Messages go out
   * round by round (every key's first, then every key's second ...), so such a key's messages are
   * all near the head of the queue.
   */
  fewerMessages?: ReadonlyMap<number, number>;
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
  /**
   * "worker" mode: the harness takes a queue away from its session after this many handler calls
   * of it (a rebalance), while the worker still has messages pulled.
   */
  sessionCallsMax?: number;
  fencing: boolean;
  rules: ProcessingRules;
  /** L2.E: one consumer freezes inside a handler call, between its work and its effect. */
  gcPause?: GcPause;
  /** "worker" mode (L2.E, L2.F): a session loses its queue without being told (deployment.ts). */
  takeover?: Takeover;
  /** "group" mode: c1's consumer is closed at this time, while the topic is still busy. */
  leaveAtMs?: number;
  /** L2.C, L2.F: some commits reach the broker a second time, late (late-copies.ts). */
  lateCopies?: LateCopies;
}

/**
 * A GC pause at a bad moment: consumer `node` freezes for `forMs` during its `call`-th handler call
 * to reach that moment (counted over all its incarnations). Nothing it could check runs while it is
 * frozen; this is the case a lease cannot cover and a fencing token can.
 * - `"beforeEffect"`: the work is done, the effect not yet written. The consumer checked its lease
 *   before the message; when it wakes it writes the effect under a token that may be stale.
 * - `"afterEffect"`: the effect is written, the handler has not returned yet. When it wakes, its
 *   worker commits the offset under that token, and goes on to the next message.
 * With `clockStops`, its clock stands still while it is frozen, as a suspended virtual machine's
 * does: when it wakes, its clock is `forMs` behind, so its lease estimate still looks good. Only
 * the broker and the ledger can then tell it that its token is stale, and it must believe them.
 */
export interface GcPause {
  node: string;
  call: number;
  forMs: number;
  moment: GcPauseMoment;
  clockStops: boolean;
}

export type GcPauseMoment = "beforeEffect" | "afterEffect";

/**
 * An application scaling down closes one consumer while the topic is busy: its handler is likely
 * in the middle of a message, and the others must take its queues over. close() must not return
 * before that message is done (the caller may exit the process right after), nor unlock before.
 */
export function describeLeave(atMs: number): string {
  return `at ${atMs} ms c1's consumer is closed while the topic is busy (scaling down); the others take its queues over`;
}

export function describeGcPause(pause: GcPause): string {
  const moment =
    pause.moment === "beforeEffect"
      ? "after the work and before the effect is written (a GC pause at the worst moment)"
      : "after the effect is written and before the handler returns (its worker commits when it wakes)";
  const clock = pause.clockStops
    ? `; its clock stands still meanwhile (a suspended virtual machine), so it wakes ${pause.forMs} ms behind`
    : "";
  return `${pause.node} freezes for ${pause.forMs} ms during its handler call #${pause.call}, ${moment}${clock}`;
}

/**
 * Liveness, once every fault is over: the consumers must keep making progress until every
 * acknowledged message is processed. The run ends as soon as they are all done (and no consumer is
 * frozen mid-message), or, once the faults are over, when nothing new was processed for STALL_MS
 * (stuck), or at HARD_STOP_MS after the faults (far too slow).
 */
export const STALL_MS = 3_000;

/**
 * L2.C: the harness's consumer takes a queue away from its session after this many handler calls
 * (a rebalance), while the worker still has messages pulled; the next session starts where the
 * group committed.
 */
export const SESSION_CALLS_MAX = 6;
/**
 * L2.F: the same, for a worker that runs one call per key at once. Six calls would end a session
 * as its first messages start, before any of them is done; a worker that commits only while its
 * session lasts (which its contract allows) would then move on only when luck finishes the lowest
 * offset first, and a run took 45 simulated seconds. Twenty-four calls are a few rounds of keys.
 */
export const PARALLEL_SESSION_CALLS_MAX = 24;
export const HARD_STOP_MS = 60_000;

export function keyedMessages(
  load: Pick<ConsumeLoad, "keys" | "messagesPerKey" | "keyStyle" | "fewerMessages">,
): Array<{ key: string; id: string }> {
  const out: Array<{ key: string; id: string }> = [];
  for (let n = 1; n <= load.messagesPerKey; n++) {
    for (let k = 1; k <= load.keys; k++) {
      if (n > (load.fewerMessages?.get(k) ?? load.messagesPerKey)) continue;
      const key = keyName(load.keyStyle, k);
      out.push({ key, id: messageId("p0", key, n) });
    }
  }
  return out;
}

/**
 * Where each session of a worker started: its first handler call, with the group's committed
 * offset at the broker at that moment. A session is one consumer incarnation on one queue under one
 * token.
 */
export class SessionStarts {
  readonly starts = new Map<Op, Committed>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly deployment: Deployment,
    private readonly group: string,
  ) {}

  readonly onCall = (op: Op): void => {
    const { queueId, token } = op.input as { queueId: number; token: number };
    const session = `${op.client}|${queueId}|${token}`;
    if (this.seen.has(session)) return;
    this.seen.add(session);
    const committed = this.deployment.committed(this.group, queueId);
    if (committed !== null) this.starts.set(op, committed);
  };
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
  const gcPause = gcPauseHook(ctx, setup.gcPause);
  const sessions = new SessionStarts(deployment, GROUP);
  /** When the harness's consumer ended each session ("consumer|queue|token"), in true time. */
  const ended = new Map<string, number>();
  const handlerSetup = (env: Env, consumerId: string): HandlerSetup => ({
    history,
    rng: world.rootRng.fork(`handler:${consumerId}`),
    behaviour: load.behaviour,
    trueNowMs: () => world.nowMs,
    beforeEffect: () => gcPause(env, "beforeEffect"),
    afterEffect: () => gcPause(env, "afterEffect"),
    onCall: sessions.onCall,
    onSessionEnd: (queueId, token) => ended.set(`${consumerId}|${queueId}|${token}`, world.nowMs),
  });
  const fencedCommits: FencedCommit[] = [];
  const commitsSent: SentCommit[] = [];
  /** Shared by every consumer: `seq` orders all their commits and fenced answers. */
  const commitsSeen = { fencedCommits, commitsSent, seq: 0 };
  const lateCopies = setup.lateCopies
    ? new LateCopyTracker(
        setup.lateCopies,
        history,
        () => world.nowMs,
        world.rootRng.fork("late-copies"),
        () => over,
      )
    : null;
  const consumers = Array.from({ length: setup.consumers }, (_, i) =>
    world.addNode<OrderlyConsumer | undefined>(`c${i + 1}`, (nodeEnv) => {
      const own = ctx.implFor(nodeEnv);
      const env = observeCommits(
        lateCopies === null ? nodeEnv : lateCopies.wrap(nodeEnv),
        commitsSeen,
        () => world.nowMs,
        () => history.timeline.length,
      );
      const worker = setup.worker(own);
      if (setup.mode === "worker")
        return harnessConsumer(worker, load.queueCount, (consumerId) => handlerSetup(env, consumerId), {
          takeAwayAfterCalls: setup.sessionCallsMax ?? SESSION_CALLS_MAX,
          ...(setup.takeover ? { takeover: setup.takeover } : {}),
        })(env).then(() => undefined);
      const consumerId = consumerIdOf(env);
      return own.openConsumer(env, {
        group: GROUP,
        brokerId: "broker",
        consumerId,
        handler: makeHandler(env, consumerId, handlerSetup(env, consumerId)),
        worker,
      });
    }),
  );
  // Incarnations ("c1#1") closed mid-run: the final closeAll leaves them be.
  const closedEarly = new Set<string>();
  let over = false;
  const leaving =
    setup.leaveAtMs === undefined || consumers[0] === undefined
      ? Promise.resolve()
      : closeMidRun(ctx, consumers[0], setup.leaveAtMs, closedEarly, () => over);
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
  over = true;
  await Promise.race([leaving, world.sleep(CLOSE_MS_MAX)]);
  const allProcessed = everyAckedProcessed(history.ops);
  const behind = allProcessed ? await commitsReachEnd(ctx, deployment, faults, load.queueCount, lateCopies) : [];
  // The learner's consumers are shut down as an application would, and must let go cleanly.
  const closing = setup.mode === "group" && allProcessed ? await closeAll(ctx, consumers, faults, closedEarly) : [];
  // The run is over: stop the consumers, so that nothing they still had in flight completes later.
  for (const node of consumers) node.crash();
  const processed = history.ops.filter((op) => op.f === "process");
  settlePending(history);
  const queues = await deployment.readAllQueues();
  const sends = history.ops.filter((op) => op.f === "send");
  const acked = new Set(sends.filter((op) => op.status === "ok").map((op) => (op.input as { id: string }).id));
  const broken = checkQueues(sends, queues);
  if (broken.length > 0) return broken;
  const processing = checkProcessing(processed, queues, acked, setup.rules, {
    sessionStarts: sessions.starts,
    locks: deployment.locks,
    fencedCommits,
    commitsSent,
    effectOrder: deployment.effectOrder,
  });
  if (processing.length > 0) return processing;
  const afterEnd = checkSessionEnds(processed, ended);
  if (afterEnd.length > 0) return afterEnd;
  if (closing.length > 0) return closing;
  const closed = checkClosed(history.ops, deployment);
  return closed.length > 0 ? closed : behind;
}

/**
 * A consumer's env whose requests are watched: every commit it sends, and every `fenced` answer to
 * a commit that reaches it, are recorded with the true time and the history's length at that moment
 * (checker.ts: a worker told so stops at once). The answer is recorded before the consumer's own
 * code sees it, so anything it does in reaction comes later in the history.
 */
function observeCommits(
  env: Env,
  seen: { fencedCommits: FencedCommit[]; commitsSent: SentCommit[]; seq: number },
  trueNowMs: () => number,
  historyLength: () => number,
): Env {
  const net: Env["net"] = {
    ...env.net,
    request: async <TReply>(to: string, request: unknown, options: { timeoutMs: number }) => {
      const sent = request as BrokerRequest;
      if (sent.type === "commitOffset")
        seen.commitsSent.push({
          atMs: trueNowMs(),
          seq: seen.seq++,
          consumerId: sent.consumerId,
          queueId: sent.queueId,
          token: sent.token,
          offset: sent.offset,
        });
      const outcome = await env.net.request<TReply>(to, request, options);
      if (
        sent.type === "commitOffset" &&
        outcome.kind === "ok" &&
        (outcome.reply as { kind?: string }).kind === "fenced"
      )
        seen.fencedCommits.push({
          atMs: trueNowMs(),
          index: historyLength(),
          seq: seen.seq++,
          consumerId: sent.consumerId,
          queueId: sent.queueId,
          token: sent.token,
        });
      return outcome;
    },
  };
  return { ...env, net };
}

/**
 * How long every queue's committed offset may take to reach the queue's end, once every message is
 * processed, the faults are over and no handler call has finished for a while: about 75 empty pulls
 * (TIMING.pullIdleMs plus a round trip), time for several re-sends of a lost commit.
 */
const COMMIT_SETTLE_MS = 1_000;
/** Time for a late copy of a commit to reach the broker once sent (a round trip and some). */
const COPY_LANDS_MS = 50;

/**
 * Once every message is processed and the faults are over, the group's committed offset of each
 * queue reaches the queue's end: a commit whose reply was lost is sent again, and the last message
 * of a stretch is committed too. An offset left behind costs no message, but every consumer that
 * takes the queue over later (a restart, a rebalance) processes the whole tail again. RocketMQ's
 * client re-sends every queue's offset on a timer (MQClientInstance's persistAllConsumerOffset,
 * every 5 s), so a lost commit is only ever late.
 *   queue 1: all 52 messages processed by 812 ms; at 1,900 ms the group's committed offset is 37.
 * Judged after the other checks: a worker that loses messages is told that first.
 */
async function commitsReachEnd(
  ctx: TestContext<OrderingModule>,
  deployment: Deployment,
  faults: ActiveFaults,
  queueCount: number,
  lateCopies: LateCopyTracker | null,
): Promise<Anomaly[]> {
  const { world, history } = ctx;
  await faults.healed();
  const copiesSentByMs = lateCopies?.lastSentAtMs ?? 0;
  // A late copy of a commit is a fault too: the grace starts once the last one has landed.
  if (world.nowMs < copiesSentByMs + COPY_LANDS_MS) await world.sleep(copiesSentByMs + COPY_LANDS_MS - world.nowMs);
  const queues = await deployment.readAllQueues();
  const healedAtMs = world.nowMs;
  // A rewind after a crash may process a queue's tail again after the faults are over: the second
  // of grace counts from the last handler call that finished, if that came later.
  const lastProcessedMs = (): number =>
    Math.max(
      0,
      ...history.ops.filter((op) => op.f === "process" && op.status === "ok").map((op) => op.completedAtMs ?? 0),
    );
  const lagging = (): Array<{ queueId: number; end: number; committed: number | null }> =>
    Array.from({ length: queueCount }, (_, queueId) => ({
      queueId,
      end: queues[queueId]?.length ?? 0,
      committed: deployment.committed(GROUP, queueId)?.offset ?? null,
    })).filter((q) => q.committed === null || q.committed < q.end);
  while (lagging().length > 0 && world.nowMs < Math.max(healedAtMs, lastProcessedMs()) + COMMIT_SETTLE_MS)
    await world.sleep(20);
  const behind = lagging()[0];
  if (behind === undefined) return [];
  const processed = history.ops.filter(
    (op) => op.f === "process" && op.status === "ok" && processQueueId(op) === behind.queueId,
  );
  const lastMs = Math.max(0, ...processed.map((op) => op.completedAtMs ?? op.invokedAtMs));
  const committed = behind.committed === null ? "unknown (the broker is down)" : String(behind.committed);
  const setBack = behind.committed === null ? null : copyThatSetBack(lateCopies, behind.queueId, behind.committed);
  const again = behind.committed === null ? "the tail" : `${behind.end - behind.committed} message(s)`;
  const advice =
    setBack === null
      ? "Commit after the last message too, and when a commit's reply is lost, commit again (RocketMQ's client re-sends every queue's offset on a timer)."
      : "Send the offset again now and then while the queue is idle, even when the broker has acknowledged it (RocketMQ's client re-sends every queue's offset on a timer).";
  return [
    anomaly(
      "not live",
      `every message of queue ${behind.queueId} (offsets 0 to ${behind.end - 1}) was processed by ${formatMs(lastMs)}, and the faults were over by ${formatMs(healedAtMs)}; yet at ${formatMs(world.nowMs)} the group's committed offset of the queue was ${committed}, not ${behind.end}.${setBack === null ? "" : ` ${setBack}`} Nothing is lost, but whoever takes the queue over next (a restart, a rebalance) processes ${again} again. ${advice}`,
      processed.slice(-1),
    ),
  ];
}

function processQueueId(op: Op): number {
  return (op.input as { queueId: number }).queueId;
}

/**
 * A worker checks `isActive()` before each message and returns once it is false: no handler call
 * of a session starts after the harness's consumer ended it (L2.C, L2.F, where the harness runs
 * the sessions). A session ends when the harness takes its queue away (SESSION_CALLS_MAX), or when
 * the broker grants the queue under a new token.
 *   session (c1#1, queue 0, token 5) ended at 700 ms; c1#1 process(k1#4, token 5) at 712 ms.
 */
function checkSessionEnds(processed: readonly Op[], ended: ReadonlyMap<string, number>): Anomaly[] {
  for (const op of processed) {
    const { queueId, token } = op.input as { queueId: number; token: number };
    const endedAtMs = ended.get(`${op.client}|${queueId}|${token}`);
    if (endedAtMs === undefined || op.invokedAtMs <= endedAtMs) continue;
    return [
      anomaly(
        "processed without the lock",
        `${op.client}'s session on queue ${queueId} under token ${token} ended at ${formatMs(endedAtMs)} (isActive() turned false: the queue was taken away, or granted under a new token), yet your worker called the handler at ${formatMs(op.invokedAtMs)}: ${describeOp(op)}. Check isActive() before every message, also those already pulled, and return once it is false.`,
        [op],
      ),
    ];
  }
  return [];
}

/**
 * How long close() may take: the message each worker has in flight (SLOW_MS_MAX in parts.ts at
 * most), then an unlock per queue, on a network that has gone quiet. Ten times that is generous.
 */
const CLOSE_MS_MAX = 2_000;
/** Longer than any delivery takes (latency up to 2 ms, plus up to 20 ms for a reordered one). */
const NET_SETTLE_MS = 50;

/**
 * Closes every running consumer at once, once every fault is over and the network is quiet (so
 * that an unlock cannot be lost), and records each close() as an operation. A close() that does not
 * return in CLOSE_MS_MAX is not live; one that threw a programming error is an exception.
 */
async function closeAll(
  ctx: TestContext<OrderingModule>,
  consumers: readonly SimNode<OrderlyConsumer | undefined>[],
  faults: ActiveFaults,
  closedEarly: ReadonlySet<string>,
): Promise<Anomaly[]> {
  const { world, history } = ctx;
  await faults.healed();
  Object.assign(world.network.profile, { dropRate: 0, duplicateRate: 0, reorderRate: 0 });
  // Copies still on the way (a duplicated lock request, delayed up to reorderDelayMs) land first,
  // so that none of them can reach the broker after a close() and look like a new lock.
  await world.sleep(NET_SETTLE_MS);
  const stuck: Op[] = [];
  await Promise.all(
    consumers.map(async (node) => {
      const incarnation = node.incarnation;
      if (incarnation === null || !node.isUp || closedEarly.has(`${node.id}#${incarnation.number}`)) return;
      const op = history.invoke(`${node.id}#${incarnation.number}`, "close", {});
      const closed = node.invoke((consumer) => consumer?.close());
      const outcome = await Promise.race([closed, world.sleep(CLOSE_MS_MAX).then(() => null)]);
      if (outcome === null) {
        stuck.push(op);
        return;
      }
      if (outcome.kind === "error") rethrowFrom("close", outcome.error);
      history.complete(op, outcome.kind === "ok" ? "ok" : "info");
    }),
  );
  // Watch a few rounds' worth after the last close(): a closed consumer must stay quiet.
  await world.sleep(3 * TIMING.rebalanceIntervalMs);
  return stuck.map((op) =>
    anomaly(
      "not live",
      `${describeOp(op)} on ${op.client} did not return within ${CLOSE_MS_MAX} ms, on a quiet network with every fault over. close() stops the workers, waits for their messages in flight (150 ms at most), unlocks the queues, and returns.`,
      [op],
    ),
  );
}

/**
 * Closes `node`'s running consumer at `atMs`, while the workload is still busy, and records the
 * close() as an operation (checkClosed judges it). Faults may still be active: a close() that
 * takes long, or whose node crashes meanwhile, is left unjudged here; closeAll judges liveness.
 */
async function closeMidRun(
  ctx: TestContext<OrderingModule>,
  node: SimNode<OrderlyConsumer | undefined>,
  atMs: number,
  closed: Set<string>,
  isOver: () => boolean,
): Promise<void> {
  const { world, history } = ctx;
  if (atMs > world.nowMs) await world.sleep(atMs - world.nowMs);
  const incarnation = node.incarnation;
  if (isOver() || incarnation === null || !node.isUp) return;
  const client = `${node.id}#${incarnation.number}`;
  closed.add(client);
  history.nemesis(`c1's consumer (${client}) is closed: the application scales down`);
  const op = history.invoke(client, "close", {});
  const outcome = await node.invoke((consumer) => consumer?.close());
  if (outcome.kind === "error") rethrowFrom("close", outcome.error);
  history.complete(op, outcome.kind === "ok" ? "ok" : "info");
}

/**
 * close() returns once the consumer is done: no handler call of its is still running (whoever
 * called close() may exit the process next, and a message cut off halfway is the rewind's
 * business, not an order the consumer chose). After close() has returned, its handler is not
 * called again, and it locks nothing more. (Whether it unlocked what it held is not graded: a queue locked but between two
 * workers when close() comes cannot be told from one whose unlock was lost, which a correct
 * consumer cannot prevent.)
 *   c1#1 close() .. 812 ms; c1#1 process(k1#3) at 840 ms: processed without the lock.
 */
function checkClosed(ops: readonly Op[], deployment: Deployment): Anomaly[] {
  for (const close of ops.filter((op) => op.f === "close" && op.status === "ok")) {
    const closedAtMs = close.completedAtMs ?? close.invokedAtMs;
    const running = ops.find(
      (op) =>
        op.f === "process" &&
        op.client === close.client &&
        op.invokedAtMs < closedAtMs &&
        (op.completedAtMs ?? Number.POSITIVE_INFINITY) > closedAtMs,
    );
    if (running !== undefined)
      return [
        anomaly(
          "processed without the lock",
          `${close.client}'s close() returned at ${formatMs(closedAtMs)} while its handler was still processing ${describeOp(running)} (from ${formatMs(running.invokedAtMs)}). close() stops the workers and waits for their messages in flight before it returns (and before it unlocks): the caller may exit the process next.`,
          [close, running],
        ),
      ];
    const late = ops.find((op) => op.f === "process" && op.client === close.client && op.invokedAtMs > closedAtMs);
    if (late !== undefined)
      return [
        anomaly(
          "processed without the lock",
          `${close.client}'s close() returned at ${formatMs(closedAtMs)}, and its handler was called after that: ${describeOp(late)}. Once close() returns, nothing of the consumer may run: stop every worker and wait for it before returning.`,
          [close, late],
        ),
      ];
    const relocked = deployment.locks.find(
      (lock) => lock.kind === "granted" && lock.consumerId === close.client && lock.atMs > closedAtMs,
    );
    if (relocked !== undefined)
      return [
        anomaly(
          "processed without the lock",
          `${close.client}'s close() returned at ${formatMs(closedAtMs)}, and the broker granted it queue ${relocked.queueId} at ${formatMs(relocked.atMs)}: a closed consumer still rebalancing. Cancel its timers (or end its loops) in close().`,
          [close],
        ),
      ];
  }
  return [];
}

/** The hook that plays a GcPause from inside the handler, at its moment (a no-op without one). */
function gcPauseHook(
  ctx: TestContext<OrderingModule>,
  pause: GcPause | undefined,
): (env: Env, moment: GcPauseMoment) => Promise<void> {
  let calls = 0;
  return async (env, moment) => {
    if (pause === undefined || env.nodeId !== pause.node || moment !== pause.moment || ++calls !== pause.call) return;
    const { world, history } = ctx;
    const node = world.node(env.nodeId);
    history.nemesis(describeGcPause(pause));
    node.pause();
    world.at(world.nowMs + pause.forMs, `resume ${env.nodeId}`, () => {
      const next = pause.moment === "beforeEffect" ? "goes on to write the effect" : "its handler returns";
      if (pause.clockStops) {
        node.skewClock(-pause.forMs);
        history.nemesis(
          `${env.nodeId} resumes after ${pause.forMs} ms, its clock ${pause.forMs} ms behind, and ${next}`,
        );
      } else history.nemesis(`${env.nodeId} resumes after ${pause.forMs} ms, and ${next}`);
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

/** The queue L2.F's stuck-key test runs on: 16 keys, 6 messages each, 10 ms a message. */
function parallelLoad(keyStyle: KeyStyle, stuckKey?: HandlerBehaviour["stuckKey"]): ConsumeLoad {
  return {
    keys: 16,
    keyStyle,
    messagesPerKey: 6,
    queueCount: 1,
    produceGapMs: 0,
    behaviour: { processingMs: 10, slowRate: 0, slowMs: 10, failureRate: 0, ...(stuckKey ? { stuckKey } : {}) },
  };
}

/** Fills one queue with the load's messages through the harness's producer, and waits for them. */
export async function fillQueue(ctx: TestContext<OrderingModule>, load: ConsumeLoad): Promise<Deployment> {
  const { world, history } = ctx;
  const deployment = deployBroker(ctx, load.queueCount, false);
  await startInfrastructure(ctx, deployment);
  const messages = keyedMessages(load);
  await addHarnessProducer(ctx, messages, load.queueCount, 0).start();
  while (sendsAcked(history.ops) < messages.length) await world.sleep(5);
  return deployment;
}

/** Runs `worker` on the queue as consumer `name` of `group` until it has processed `count` messages. */
export async function consumeAll(
  ctx: TestContext<OrderingModule>,
  deployment: Deployment,
  load: ConsumeLoad,
  consumer: { name: string; group: string; worker: (env: Env) => QueueWorker; until?: () => boolean },
): Promise<{ ops: Op[]; elapsedMs: number; starts: Map<Op, Committed> }> {
  const { world, history } = ctx;
  const { name, group } = consumer;
  const sessions = new SessionStarts(deployment, group);
  const setup = (consumerId: string): HandlerSetup => ({
    history,
    rng: world.rootRng.fork(`handler:${consumerId}`),
    behaviour: load.behaviour,
    trueNowMs: () => world.nowMs,
    onCall: sessions.onCall,
  });
  const node = world.addNode(name, (env) =>
    harnessConsumer(consumer.worker(env), load.queueCount, setup, { group })(env),
  );
  const started = await node.start();
  if (started.kind === "error") rethrowFrom("your queue worker", started.error);
  const mine = (op: Op) => op.f === "process" && op.client.startsWith(`${name}#`);
  const done = () => new Set(history.ops.filter((op) => mine(op) && op.status === "ok").map((op) => processId(op)));
  const total = keyedMessages(load).length;
  const deadline = world.nowMs + 10_000;
  while (done().size < total && world.nowMs < deadline) await world.sleep(5);
  node.crash();
  const ops = history.ops.filter(mine);
  const first = Math.min(...ops.map((op) => op.invokedAtMs));
  const last = Math.max(...ops.map((op) => op.completedAtMs ?? op.invokedAtMs));
  return { ops, elapsedMs: last - first, starts: sessions.starts };
}

/**
 * The learner's key-parallel worker (consumer c1 of the group) on the filled queue until it is done,
 * and what the checker says of its processing: the messages it owes (`acked`) and the anomalies.
 */
export async function consumeKeyParallel(
  ctx: TestContext<OrderingModule>,
  deployment: Deployment,
  load: ConsumeLoad,
): Promise<{ learner: Awaited<ReturnType<typeof consumeAll>>; acked: Set<string>; broken: Anomaly[] }> {
  const worker = (env: Env) => ctx.implFor(env).runKeyParallelQueue;
  const learner = await consumeAll(ctx, deployment, load, { name: "c1", group: GROUP, worker });
  settlePending(ctx.history);
  const queues = await deployment.readAllQueues();
  const acked = new Set(keyedMessages(load).map((m) => m.id));
  const seen = { sessionStarts: learner.starts, locks: [], effectOrder: deployment.effectOrder };
  return { learner, acked, broken: checkProcessing(learner.ops, queues, acked, rulesOn(), seen) };
}

function processId(op: Op): string {
  return (op.input as { id: string }).id;
}

function processKey(op: Op): string {
  return (op.input as { key: string }).key;
}

/** How long the stuck key fails, from when the learner's worker starts. */
export const STUCK_FOR_MS = 600;

/**
 * L2.F's stuck-key test: one key's messages fail every attempt for STUCK_FOR_MS (a row locked by a
 * long transaction), while the other 15 keys' messages could go on. A failing message may hold back
 * its own key only: by the time the stuck key recovers, at least half of the other keys' messages
 * must be done, and every other key must have finished at least one. (The reference does all of
 * them in about 70 ms; a worker that waits for a whole batch before pulling the next, or suspends
 * the whole queue, does one batch's worth; one that runs keys in a fixed number of lanes picked by
 * hash starves the keys that share the stuck key's lane.)
 */
export async function runStuckKeyWorkload(ctx: TestContext<OrderingModule>, keyStyle: KeyStyle): Promise<Anomaly[]> {
  const { world } = ctx;
  const stuck = { key: keyName(keyStyle, 1), untilMs: Number.POSITIVE_INFINITY };
  const load = parallelLoad(keyStyle, stuck);
  const deployment = await fillQueue(ctx, load);
  const fromMs = world.nowMs;
  stuck.untilMs = fromMs + STUCK_FOR_MS;
  const { learner, acked, broken } = await consumeKeyParallel(ctx, deployment, load);
  if (broken.length > 0) return broken;
  const others = learner.ops.filter((op) => (op.input as { key: string }).key !== stuck.key);
  const othersTotal = acked.size - load.messagesPerKey;
  const doneInTime = new Set(
    others.filter((op) => op.status === "ok" && (op.completedAtMs ?? Infinity) <= stuck.untilMs).map(processId),
  );
  const failing = learner.ops.filter((op) => op.status === "fail" && (op.input as { key: string }).key === stuck.key);
  // Every other key must get on, not only most of them: a key that shares a lane (a thread, a
  // chain picked by hash) with the stuck one is held back by a key it does not depend on.
  const keysDone = new Set(others.filter((op) => doneInTime.has(processId(op))).map((op) => processKey(op)));
  const starved = Array.from({ length: load.keys }, (_, i) => keyName(keyStyle, i + 1)).filter(
    (key) => key !== stuck.key && !keysDone.has(key),
  );
  if (starved.length > 0 && doneInTime.size * 2 >= othersTotal) {
    const waiting = others.find((op) => processKey(op) === starved[0]);
    return [
      anomaly(
        "head-of-line blocking",
        `every attempt on key ${formatValue(stuck.key)} failed from ${formatMs(fromMs)} to ${formatMs(stuck.untilMs)}, and in that time your worker finished no message at all of key ${formatValue(starved[0])}${starved.length > 1 ? ` (nor of ${starved.length - 1} other key(s))` : ""}, though it does not depend on the failing key. A failing message may hold back its own key only: a key that shares a lane, a thread or a chain with it (picked by hash, say) waits for a key it has nothing to do with.`,
        [...failing.slice(0, 1), ...(waiting ? [waiting] : [])],
      ),
    ];
  }
  if (doneInTime.size * 2 >= othersTotal) return [];
  const lastDone = others.filter((op) => op.status === "ok" && doneInTime.has(processId(op))).at(-1);
  return [
    anomaly(
      "head-of-line blocking",
      `every attempt on key ${formatValue(stuck.key)} failed from ${formatMs(fromMs)} to ${formatMs(stuck.untilMs)}, and in that time your worker finished only ${doneInTime.size} of the other ${load.keys - 1} keys' ${othersTotal} messages, which do not depend on it. A failing message may hold back its own key only: the other keys must go on (at least half of their messages in ${STUCK_FOR_MS} ms; 10 ms each, ${load.keys - 1} keys side by side).`,
      [...failing.slice(0, 2), ...(lastDone ? [lastDone] : [])],
    ),
  ];
}
