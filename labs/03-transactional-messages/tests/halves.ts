/**
 * L3.A's workload: the learner's half store inside the broker, with the stand-in end handler
 * (plain-end.ts) and no recovery (no-recovery.ts), driven by one scripted producer.
 *
 * p1 sends 4 to 12 halves over 1 to 3 queues of `orders`, a few at a time, and for each a drawn
 * fate: commit, rollback, or no end at all. Each end is sent once, after a drawn gap, and never
 * retried. The consumer c1 pulls `orders` throughout. Meanwhile the broker crashes or loses power,
 * some of the time right after one of its disk calls: between a half's append and its fsync,
 * between a commit's two appends, inside the log's recovery. Once every fault has healed, p1
 * sends one more half until one is acknowledged, and commits it; then the auditor reads the real
 * queues and the op records, and `readHalf` is called on every half the broker acknowledged.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { describePlan, type FaultPlan, planArb } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { isProgrammingError, rethrowFrom } from "#harness/grade/verdict.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { HALF_TOPIC, type HalfMessage, OP_TOPIC } from "#labs/03-transactional-messages/provided.ts";
import type { TransactionModule } from "./api.ts";
import { checkHalves, type HalvesRead, type ScriptedTx } from "./check-halves.ts";
import { applyFaults, BROKER, type Deployment, learnerService, startBrokerAndConsumer } from "./deployment.ts";
import { noRecovery } from "./no-recovery.ts";
import { plainEnd } from "./plain-end.ts";
import { addScriptedProducer, type ScriptedNode, sendEnd, sendHalf } from "./scripted-producer.ts";

export type Fate = "commit" | "rollback" | "none";

export interface HalvesTx {
  queue: number;
  keyNo: number;
  fate: Fate;
  /** After the previous transaction started. */
  startGapMs: number;
  /** Between the half's reply and the end request. */
  endGapMs: number;
  checkImmunityMs: number;
  bornAtMs: number;
}

export interface HalvesScenario {
  queueCount: number;
  txs: HalvesTx[];
  plan: FaultPlan;
}

/** After the faults heal, long enough for the consumer to pull what is there. */
const SETTLE_MS = 100;

export const halvesScenario: fc.Arbitrary<HalvesScenario> = fc.record({
  queueCount: fc.integer({ min: 1, max: 3 }),
  txs: fc.array(
    fc.record({
      queue: fc.nat(2),
      keyNo: fc.nat(20),
      fate: fc.constantFrom<Fate>("commit", "commit", "rollback", "none"),
      startGapMs: fc.integer({ min: 0, max: 40 }),
      endGapMs: fc.integer({ min: 0, max: 30 }),
      checkImmunityMs: fc.constantFrom(0, 0, 300, 600),
      bornAtMs: fc.nat(1_000_000),
    }),
    { minLength: 4, maxLength: 12 },
  ),
  plan: planArb({
    nodes: [BROKER],
    networkNodes: [BROKER, "p1", "c1"],
    kinds: ["crash", "powerLoss"],
    eventsMin: 1,
    eventsMax: 3,
    windowMs: 300,
    outageMsMax: 60,
    boundaries: ["disk"],
    netRatesMax: { dropRate: 0.1, duplicateRate: 0, reorderRate: 0.1 },
  }),
});

export function scriptedTxs(s: Pick<HalvesScenario, "queueCount" | "txs">): ScriptedTx[] {
  return s.txs.map((tx, i) => ({
    transactionId: `tx${i + 1}`,
    queueId: tx.queue % s.queueCount,
    key: `order-${tx.keyNo}`,
    body: `p1#${i + 1}`,
    bornAtMs: tx.bornAtMs,
    checkImmunityMs: tx.checkImmunityMs,
  }));
}

export function describeHalves(s: HalvesScenario): string[] {
  const fates = s.txs.map((tx, i) => `tx${i + 1} ${tx.fate === "none" ? "no end" : tx.fate}`).join(", ");
  return [
    ...describePlan(s.plan),
    `workload: p1 sends ${s.txs.length} halves over ${s.queueCount} queue(s) of orders, each end once and never retried (${fates}); c1 pulls orders throughout`,
  ];
}

export async function runHalvesWorkload(ctx: TestContext<TransactionModule>, s: HalvesScenario): Promise<Anomaly[]> {
  const { world } = ctx;
  const service = learnerService(ctx, { endTransaction: plainEnd, recoverResolutions: noRecovery }, false);
  const deployment = await startBrokerAndConsumer(ctx, s.queueCount, service);
  const p1 = addScriptedProducer(ctx, "p1");
  await p1.start();
  const faults = applyFaults(ctx, s.plan);
  const txs = scriptedTxs(s);
  let startAtMs = 0;
  const runs = txs.map((tx, i) => {
    const drawn = s.txs[i] as HalvesTx;
    startAtMs += drawn.startGapMs;
    const startsAt = startAtMs;
    return (async () => {
      await world.sleep(startsAt);
      const sent = await sendHalf(ctx, p1, tx);
      if (sent.halfOffset === null || drawn.fate === "none") return;
      await world.sleep(drawn.endGapMs);
      await sendEnd(ctx, p1, {
        transactionId: tx.transactionId,
        halfOffset: sent.halfOffset,
        decision: drawn.fate,
        fromCheck: false,
      });
    })();
  });
  await Promise.all(runs);
  await faults.healed();
  const probes = await probe(ctx, p1, txs);
  await world.sleep(SETTLE_MS);
  const queues = await deployment.readRealQueues();
  const acknowledged = ctx.history.ops
    .filter((op) => op.f === "sendHalf" && op.status === "ok")
    .map((op) => (op.output as { halfOffset: number }).halfOffset);
  const end = (await deployment.readQueue(HALF_TOPIC, 0)).length;
  const halvesRead: HalvesRead = new Map();
  for (const offset of new Set(acknowledged)) halvesRead.set(offset, await readHalfOnBroker(ctx, deployment, offset));
  const brokerClock = world.node(BROKER).clock;
  return checkHalves({
    txs,
    producer: "p1",
    opRecords: await deployment.readQueue(OP_TOPIC, 0),
    probes,
    ops: ctx.history.ops,
    queues,
    halvesRead,
    pastTheEnd: { offset: end, half: await readHalfOnBroker(ctx, deployment, end) },
    brokerClockAt: (trueMs) => brokerClock.localAt(trueMs),
  });
}

/**
 * Transactions tried once the faults healed, until one's half and commit are both answered. The
 * network may still lose a request or a reply (up to 10% each way, so a round fails about a third
 * of the time): all 16 fail together about once in 30 million runs.
 */
const PROBES_MAX = 16;

/**
 * Once every fault has healed, the broker must work again: p1 sends a half and commits it, and
 * again with a new transaction while a request or its reply is lost. Each is added to `txs`, so
 * the checker holds it to everything else. Returns their ids.
 */
async function probe(
  ctx: TestContext<TransactionModule>,
  p1: SimNode<ScriptedNode>,
  txs: ScriptedTx[],
): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 1; n <= PROBES_MAX; n++) {
    const tx: ScriptedTx = {
      transactionId: `probe${n}`,
      queueId: 0,
      key: "probe",
      body: `p1#probe${n}`,
      bornAtMs: 0,
      checkImmunityMs: 0,
    };
    txs.push(tx);
    ids.push(tx.transactionId);
    const sent = await sendHalf(ctx, p1, tx);
    if (sent.halfOffset === null) continue;
    const end = {
      transactionId: tx.transactionId,
      halfOffset: sent.halfOffset,
      decision: "commit",
      fromCheck: false,
    } as const;
    // A lost reply is not retried (plain-end has no guard): the next probe tries again.
    if ((await sendEnd(ctx, p1, end)).reply !== null) break;
  }
  return ids;
}

/** Calls the running broker incarnation's own `readHalf`, as the auditor's direct check. */
async function readHalfOnBroker(
  ctx: TestContext<TransactionModule>,
  deployment: Deployment,
  offset: number,
): Promise<HalfMessage | null> {
  const call = `readHalf(${offset})`;
  const outcome = await deployment.broker.invoke((api) => ctx.implFor(api.side.env).readHalf(api.side, offset));
  if (outcome.kind === "ok") return outcome.value;
  if (outcome.kind === "error") {
    if (isProgrammingError(outcome.error)) rethrowFrom(call, outcome.error);
    throw new Error(`${call} threw once the faults had healed: ${String(outcome.error)}`);
  }
  throw new Error(`the broker was ${outcome.kind} when the auditor called ${call}`);
}
