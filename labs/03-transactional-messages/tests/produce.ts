/**
 * L3.B's workload: the learner's producers against the oracle service (tests/oracle-service.ts),
 * with one business database for the group.
 *
 * One or two producer nodes of GROUP (p1, p2) each run 3 to 8 transactions, 1 or 2 at a time.
 * Transaction `p1#4` publishes `{ topic: orders, key: its order id, body: "p1#4" }`, and its local
 * transaction puts `orders/<order id>` and, at a drawn rate, throws BusinessRejected. The broker
 * checks unended halves every TIMING.checkIntervalMs, forever; a harness consumer pulls `orders`.
 * Producers crash (some right after a message sent, or right after a database write or commit),
 * pause for up to 500 ms (past the transaction timeout, so checks come while they are frozen),
 * get skewed clocks, lose the network; the database is cut off, restarts, loses commit replies,
 * aborts commits. The oracle's half store fails up to two halves with `error`, after storing
 * the half or without it (the reply a producer must take for "not stored, maybe"). Up to three
 * messages ask for a check immunity, which their halves must carry. A supervisor restarts crashed producers; a restarted one opens a new producer
 * and starts no new transactions: it only answers checks, so the ground truth stays simple. Once
 * every fault has healed, p1 runs probe transactions, one after another until one is published:
 * a producer that never publishes must not pass because it never publishes anything wrong.
 * Every sendHalf a producer issues is counted as it leaves the node (`countHalfRequests`), since
 * the oracle's deduplication would hide a half sent twice.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { type DbFaultPlan, dbPlans } from "#harness/faults/db-plan.ts";
import { describePlan, type FaultPlan, planArb } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { rethrowFrom } from "#harness/grade/verdict.ts";
import { SimDatabase } from "#harness/sim/db.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { plural } from "#harness/words.ts";
import { recordCallResult } from "#harness/workloads/call.ts";
import type { Env } from "#lab";
import {
  BusinessRejected,
  HalfNotStored,
  type LocalTransaction,
  type OutgoingMessage,
  TIMING,
  TOPIC,
  type TransactionalProducer,
} from "#labs/03-transactional-messages/provided.ts";
import type { TransactionModule } from "./api.ts";
import { checkProduce, type ProducedTx } from "./check-produce.ts";
import { applyFaults, BROKER, startBrokerAndConsumer } from "./deployment.ts";
import { type HalfFault, newOracleRecord, oracleService } from "./oracle-service.ts";

export interface ProducerLoad {
  /** Each transaction: does its business refuse it? */
  rejects: boolean[];
  /** Transactions in flight at once. */
  window: number;
  gapMs: number;
}

/**
 * A long GC pause of p1 inside one of its local transactions, after the business write and before
 * the commit, while p2 is live: the broker checks the half meanwhile, and asks p2, which must not
 * answer "rollback" unless that is final (a plan's pause rarely lands there by itself).
 */
export interface Stall {
  /** Which of p1's transactions (0: its first). */
  tx: number;
  forMs: number;
}

/** The oracle's half store fails the first sendHalf of one transaction (`tx` 0: the producer's first). */
export interface HalfStoreFault {
  producer: number;
  tx: number;
  fault: HalfFault;
}

export interface ProduceScenario {
  queueCount: number;
  producers: ProducerLoad[];
  stall: Stall | null;
  plan: FaultPlan;
  dbPlan: DbFaultPlan;
  halfFaults: HalfStoreFault[];
  /** Messages that ask for a check immunity (`tx` 0: the producer's first). */
  immunities: { producer: number; tx: number; ms: number }[];
}

/** Once the faults heal: this long for every half to be checked and resolved (20 scans). */
const SETTLE_MS = TIMING.checkIntervalMs * 20;
/** A call still pending this long after the faults healed is stuck. */
const CALLS_SETTLE_MS = 2_000;
/**
 * Probe transactions tried once the faults healed, until one is published. The network still
 * loses up to 15% of messages each way, so a half or its reply is lost about 28% of the time:
 * all 16 fail together about once in a billion runs.
 */
const PROBES_MAX = 16;
/** A probe call that takes longer than this is left pending (the checker names it). */
const PROBE_WAIT_MS = 10 * TIMING.requestTimeoutMs;

const loadArb: fc.Arbitrary<ProducerLoad> = fc.constantFrom(0, 0.2, 0.4).chain((rate) =>
  fc.record({
    rejects: fc.array(
      fc.integer({ min: 0, max: 9 }).map((n) => n < rate * 10),
      { minLength: 3, maxLength: 8 },
    ),
    window: fc.integer({ min: 1, max: 2 }),
    gapMs: fc.integer({ min: 0, max: 20 }),
  }),
);

const PRODUCERS = ["p1", "p2"];

export const produceScenario: fc.Arbitrary<ProduceScenario> = fc
  .record({
    queueCount: fc.integer({ min: 1, max: 2 }),
    producers: fc.array(loadArb, { minLength: 1, maxLength: 2 }),
    stall: fc.option(fc.record({ tx: fc.integer({ min: 0, max: 2 }), forMs: fc.integer({ min: 250, max: 500 }) })),
    plan: planArb({
      nodes: PRODUCERS,
      networkNodes: [...PRODUCERS, BROKER],
      kinds: ["crash", "powerLoss", "pause", "skew", "partition", "blockLink"],
      eventsMin: 1,
      eventsMax: 4,
      windowMs: 300,
      outageMsMax: 250,
      // A pause past the 200 ms transaction timeout: checks arrive while the producer is frozen
      // before or inside its local transaction.
      outageMsMaxByKind: { pause: 500 },
      netRatesMax: { dropRate: 0.15, duplicateRate: 0.15, reorderRate: 0.2 },
      boundaries: ["send", "db"],
    }),
    dbPlan: dbPlans.arb({
      nodes: PRODUCERS,
      kinds: ["dbCut", "dbRestart", "dbLoseCommitReplies", "dbAbortCommits"],
      eventsMax: 3,
      windowMs: 300,
      outageMsMax: 200,
    }),
    // Drawn last, so that the fields above are what they were before it was added.
    halfFaults: fc.array(
      fc.record({
        producer: fc.integer({ min: 0, max: 1 }),
        tx: fc.integer({ min: 0, max: 7 }),
        fault: fc.constantFrom<HalfFault>("stored", "lost"),
      }),
      { maxLength: 2 },
    ),
    immunities: fc.array(
      fc.record({
        producer: fc.integer({ min: 0, max: 1 }),
        tx: fc.integer({ min: 0, max: 7 }),
        ms: fc.integer({ min: 300, max: 600 }),
      }),
      { maxLength: 3 },
    ),
  })
  .map((s) => {
    // Faults aimed at a producer the scenario does not run would do nothing: aim them at p1.
    const names = PRODUCERS.slice(0, s.producers.length);
    const onRunning = (node: string): string => (names.includes(node) ? node : "p1");
    return {
      ...s,
      // The stall matters only with a second producer to ask.
      stall: s.producers.length === 2 ? s.stall : null,
      plan: {
        ...s.plan,
        events: s.plan.events.map((e) => ("node" in e ? { ...e, node: onRunning(e.node) } : e)),
      },
      dbPlan: { events: s.dbPlan.events.map((e) => ("node" in e ? { ...e, node: onRunning(e.node) } : e)) },
      // Only on a transaction the scenario runs.
      halfFaults: s.halfFaults.filter((f) => f.tx < (s.producers[f.producer]?.rejects.length ?? 0)),
      immunities: s.immunities.filter((f) => f.tx < (s.producers[f.producer]?.rejects.length ?? 0)),
    };
  });

export function describeProduce(s: ProduceScenario): string[] {
  const loads = s.producers.map((load, i) => {
    const rejected = load.rejects.filter((r) => r).length;
    return `p${i + 1} runs ${plural(load.rejects.length, "transaction")} (${rejected} refused by the business), ${load.window} at a time`;
  });
  const stall = s.stall === null ? [] : [describeStall(s.stall)];
  const halfFaults = s.halfFaults.map(
    (f) =>
      `the broker's half store answers error to the first sendHalf of ${txName(f)}, ${f.fault === "stored" ? "after storing the half" : "storing nothing"}`,
  );
  const immunities = s.immunities.map((i) => `${txName(i)}'s message asks for a check immunity of ${i.ms} ms`);
  return [
    ...stall,
    ...halfFaults,
    ...immunities,
    ...describePlan(s.plan),
    ...dbPlans.describe(s.dbPlan),
    `workload: ${loads.join("; ")}; each publishes to ${TOPIC} (${plural(s.queueCount, "queue")}) through the oracle service, which checks unended halves every ${TIMING.checkIntervalMs} ms`,
  ];
}

function describeStall(stall: Stall): string {
  return `p1 pauses for ${stall.forMs} ms inside the local transaction of p1#${stall.tx + 1}, between its business write and its commit (a long GC pause)`;
}

function txName(f: { producer: number; tx: number }): string {
  return `p${f.producer + 1}#${f.tx + 1}`;
}

function transactionsOf(s: ProduceScenario): ProducedTx[][] {
  return s.producers.map((load, p) =>
    load.rejects.map((_, i) => {
      const tx: ProducedTx = {
        id: txName({ producer: p, tx: i }),
        orderId: `o-p${p + 1}-${i + 1}`,
        producer: `p${p + 1}`,
      };
      // The last one drawn for a transaction wins.
      const immunity = s.immunities.findLast((f) => f.producer === p && f.tx === i);
      return immunity === undefined ? tx : { ...tx, checkImmunityMs: immunity.ms };
    }),
  );
}

export async function runProduceWorkload(ctx: TestContext<TransactionModule>, s: ProduceScenario): Promise<Anomaly[]> {
  const { world } = ctx;
  const record = newOracleRecord();
  const db = new SimDatabase(world);
  const halfFaults = new Map(s.halfFaults.map((f) => [txName(f), f.fault]));
  const deployment = await startBrokerAndConsumer(ctx, s.queueCount, () =>
    oracleService(record, halfFaults, (text) => ctx.history.nemesis(text)),
  );
  const txs = transactionsOf(s);
  const halfRequests = new Map<string, number>();
  const nodes = txs.map((_, p) =>
    world.addNode<TransactionalProducer>(`p${p + 1}`, (env) =>
      ctx
        .implFor(env)
        .openTransactionalProducer(countHalfRequests(env, halfRequests), db.connect(env), { brokerId: BROKER }),
    ),
  );
  for (const node of nodes) {
    const started = await node.start();
    if (started.kind === "error") rethrowFrom(`openTransactionalProducer on ${node.id}`, started.error);
  }
  const faults = applyFaults(ctx, s.plan, { db, plan: s.dbPlan });
  const deadlineMs = () => faults.endMs + CALLS_SETTLE_MS;
  const calls = nodes.map((node, p) =>
    runProducer(ctx, node, txs[p] as ProducedTx[], s.producers[p] as ProducerLoad, s.queueCount, deadlineMs, {
      stall: p === 0 ? s.stall : null,
    }),
  );
  await Promise.race([Promise.all(calls), world.sleep(Math.max(0, deadlineMs() - world.nowMs))]);
  await faults.healed();
  const probes = await probe(ctx, nodes[0] as SimNode<TransactionalProducer>, s.queueCount);
  await world.sleep(SETTLE_MS);
  const brokerClock = world.node(BROKER).clock;
  return checkProduce({
    txs: [...txs.flat(), ...probes],
    probes: probes.map((tx) => tx.id),
    halfRequests,
    ops: ctx.history.ops,
    queues: await deployment.readRealQueues(),
    record,
    db,
    brokerClockAt: (trueMs) => brokerClock.localAt(trueMs),
    settled: `${SETTLE_MS} ms`,
  });
}

/** One producer node's transactions, `window` at a time, by its first incarnation only. */
async function runProducer(
  ctx: TestContext<TransactionModule>,
  node: SimNode<TransactionalProducer>,
  txs: ProducedTx[],
  load: ProducerLoad,
  queueCount: number,
  deadlineMs: () => number,
  hazards: { stall: Stall | null },
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (const [i, tx] of txs.entries()) {
    await ctx.world.sleep(load.gapMs);
    while (inFlight.size >= load.window) {
      if (ctx.world.nowMs >= deadlineMs()) return;
      await Promise.race([...inFlight, ctx.world.sleep(deadlineMs() - ctx.world.nowMs)]);
    }
    // A restarted producer starts no new transactions: it only answers checks.
    if (node.incarnation?.number !== 1 || !node.isUp) return;
    const local: LocalTransaction = async (t) => {
      await t.put("orders", tx.orderId, { tx: tx.id });
      if (hazards.stall?.tx === i) stallNode(ctx, node, hazards.stall);
      if (load.rejects[i]) throw new BusinessRejected(`order ${tx.orderId} is out of stock`);
    };
    const message: OutgoingMessage = { topic: TOPIC, queueId: i % queueCount, key: tx.orderId, body: tx.id };
    if (tx.checkImmunityMs !== undefined) message.checkImmunityMs = tx.checkImmunityMs;
    const call = recordSend(ctx, node, tx, message, local).then(() => {});
    inFlight.add(call);
    void call.then(() => inFlight.delete(call));
  }
  await Promise.all(inFlight);
}

/** `tx`'s sendInTransaction on `node`, recorded in the history (HalfNotStored as a rejection). */
function recordSend(
  ctx: TestContext<TransactionModule>,
  node: SimNode<TransactionalProducer>,
  tx: ProducedTx,
  message: OutgoingMessage,
  local: LocalTransaction,
) {
  return recordCallResult(ctx.history, node, (api) => api.sendInTransaction(message, local), {
    client: node.id,
    f: "sendInTransaction",
    input: { id: tx.id, order: tx.orderId },
    onError: "info",
    answerOf: (error) => (error instanceof HalfNotStored ? { rejected: "HalfNotStored" } : undefined),
    output: (result) => ({ decision: result.decision, halfOffset: result.halfOffset }),
  });
}

/** Freezes the node from now on for `stall.forMs` (it runs nothing until then), and says so. */
function stallNode(ctx: TestContext<TransactionModule>, node: SimNode<TransactionalProducer>, stall: Stall): void {
  if (node.isPaused) return;
  ctx.history.nemesis(`${node.id} pauses inside a local transaction (a GC pause of ${stall.forMs} ms)`);
  node.pause();
  ctx.world.at(ctx.world.nowMs + stall.forMs, `resume ${node.id}`, () => {
    ctx.history.nemesis(`${node.id} resumes after ${stall.forMs} ms`);
    node.resume();
  });
}

/** `env` with its `net.request` counting each sendHalf this node issues, by message body. */
function countHalfRequests(env: Env, counts: Map<string, number>): Env {
  const net = env.net;
  return {
    ...env,
    net: {
      send: (to, message) => net.send(to, message),
      onMessage: (handler) => net.onMessage(handler),
      onRequest: (handler) => net.onRequest(handler),
      request: (to, request, options) => {
        const half = request as { type?: unknown; body?: unknown };
        if (half.type === "sendHalf" && typeof half.body === "string")
          counts.set(half.body, (counts.get(half.body) ?? 0) + 1);
        return net.request(to, request, options);
      },
    },
  };
}

/**
 * Once every fault has healed, p1 (its current incarnation) runs transactions whose business
 * writes commit, one after another, until one is published (resolves "commit"); HalfNotStored is
 * the network's doing at most PROBES_MAX times in a row. Returns them, for the checker.
 */
async function probe(
  ctx: TestContext<TransactionModule>,
  node: SimNode<TransactionalProducer>,
  queueCount: number,
): Promise<ProducedTx[]> {
  const probes: ProducedTx[] = [];
  for (let n = 1; n <= PROBES_MAX; n++) {
    const tx: ProducedTx = { id: `${node.id}#probe${n}`, orderId: `o-${node.id}-probe${n}`, producer: node.id };
    probes.push(tx);
    const local: LocalTransaction = async (t) => {
      await t.put("orders", tx.orderId, { tx: tx.id });
    };
    const message = { topic: TOPIC, queueId: n % queueCount, key: tx.orderId, body: tx.id };
    const call = recordSend(ctx, node, tx, message, local);
    const result = await Promise.race([call, ctx.world.sleep(PROBE_WAIT_MS).then(() => null)]);
    if (result === null) break;
    if (result.kind === "ok" && result.value.decision === "commit") break;
  }
  return probes;
}
