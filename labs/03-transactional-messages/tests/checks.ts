/**
 * L3.D's workload: the learner's check service over the learner's end handler and half store, no
 * recovery (the broker does not crash here), driven by one or two scripted producers of the group
 * that answer checks from their transactions' truth (what their database would say).
 *
 * The producers store 4 to 10 halves; each transaction has a drawn behaviour: decided and ended;
 * decided and never ended (a crash after the local commit: a check must finish it); undecided for
 * up to 300 ms, then committed (answering "unknown" until then, well inside the budget); undecided
 * forever (it must be set aside); or ended late, once a check's answer was acknowledged, with the
 * same or the opposite decision (apache/rocketmq#8158). A producer answers each check after 0 to
 * 40 ms, sometimes twice. Some halves carry an immunity of 300 to 600 ms. p1's clock may start up
 * to a minute behind the broker's, and the plan skews clocks both ways: a half's born time is the
 * producer's clock. Producers crash, pause and lose their links, some for 1 to 1.5 s (twice the
 * check budget), and the network loses and reorders packets; it duplicates none, since a
 * duplicated sendHalf would store two halves of one transaction, as RocketMQ does (#9909). The
 * design (section 9.1, step 6) decides that storeHalf should deduplicate by transaction id; until
 * its contract says so, L3.D and L3.E's plans keep the duplicate out.
 *
 * Once the faults heal and the check budget could have run out, the auditor probes each half with
 * an "unknown" end (a resolved half answers alreadyResolved), then reads the real queues and
 * TRANS_CHECK_MAX_TIME_TOPIC.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { describePlan, type FaultPlan, planArb } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { Env } from "#lab";
import { GROUP, SET_ASIDE_TOPIC, TIMING } from "#labs/03-transactional-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type { CheckTransaction } from "#labs/shared/broker/protocol.ts";
import type { TransactionModule } from "./api.ts";
import { type CheckedTx, checkChecks } from "./check-checks.ts";
import {
  AUDITOR,
  applyFaults,
  BROKER,
  type Deployment,
  learnerService,
  type OpenService,
  startBrokerAndConsumer,
} from "./deployment.ts";
import { noRecovery } from "./no-recovery.ts";
import { addScriptedProducer, sendEnd, sendHalf } from "./scripted-producer.ts";

type Verdict = "commit" | "rollback";

export type Behaviour =
  | { kind: "ends"; decision: Verdict; endGapMs: number }
  | { kind: "silent"; decision: Verdict }
  | { kind: "undecided"; forMs: number; ends: boolean }
  | { kind: "forever" }
  | { kind: "late end"; decision: Verdict; opposite: boolean };

export interface ChecksTx {
  sender: "p1" | "p2";
  queue: number;
  keyNo: number;
  startGapMs: number;
  checkImmunityMs: number;
  behaviour: Behaviour;
  answerDelayMs: number;
  answerTwice: boolean;
}

export interface ChecksScenario {
  producers: 1 | 2;
  /** p1's clock, set this far off the broker's before it sends anything (0: not skewed). */
  p1SkewMs: number;
  queueCount: number;
  txs: ChecksTx[];
  plan: FaultPlan;
  /**
   * L3.E: the auditor asks the broker about every half, then the broker crashes, once halves have
   * had time to be set aside (null in L3.D).
   */
  lateCrash: { atMs: number; downMs: number } | null;
}

const decisionArb = fc.constantFrom<Verdict>("commit", "rollback");

const behaviourArb: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.record({ kind: fc.constant("ends" as const), decision: decisionArb, endGapMs: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ kind: fc.constant("silent" as const), decision: decisionArb }),
  fc.record({ kind: fc.constant("undecided" as const), forMs: fc.integer({ min: 0, max: 300 }), ends: fc.boolean() }),
  fc.record({ kind: fc.constant("forever" as const) }),
  fc.record({ kind: fc.constant("late end" as const), decision: decisionArb, opposite: fc.boolean() }),
);

export function checksTxArb(): fc.Arbitrary<ChecksTx> {
  return fc.record({
    sender: fc.constantFrom<"p1" | "p2">("p1", "p2"),
    queue: fc.nat(2),
    keyNo: fc.nat(20),
    startGapMs: fc.integer({ min: 0, max: 40 }),
    checkImmunityMs: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 300, max: 600 })),
    behaviour: behaviourArb,
    answerDelayMs: fc.integer({ min: 0, max: 40 }),
    answerTwice: fc.boolean(),
  });
}

/** The scenarios of a part that runs this workload: how many transactions, under which plan. */
export function checksScenarioOf(
  txs: { min: number; max: number },
  plan: fc.Arbitrary<FaultPlan>,
  lateCrash: fc.Arbitrary<ChecksScenario["lateCrash"]> = fc.constant(null),
): fc.Arbitrary<ChecksScenario> {
  return fc.record({
    producers: fc.constantFrom<1 | 2>(1, 2),
    p1SkewMs: fc.oneof(fc.constant(0), fc.integer({ min: -60_000, max: -500 })),
    queueCount: fc.integer({ min: 1, max: 3 }),
    txs: fc.array(checksTxArb(), { minLength: txs.min, maxLength: txs.max }),
    plan,
    lateCrash,
  });
}

export const checksScenario: fc.Arbitrary<ChecksScenario> = checksScenarioOf(
  { min: 4, max: 10 },
  planArb({
    nodes: ["p1", "p2"],
    networkNodes: ["p1", "p2", BROKER],
    kinds: ["crash", "pause", "skew", "partition", "blockLink"],
    eventsMin: 1,
    eventsMax: 4,
    windowMs: 400,
    outageMsMax: 250,
    // Long producer outages (twice the 750 ms budget) expose checks spent while nobody can answer;
    // a one-way blockLink stays under 250 ms, since not even a correct service can tell a lost
    // check from a slow producer that its registry still lists as live.
    outageMsMaxByKind: { crash: 1_500, partition: 1_500 },
    netRatesMax: { dropRate: 0.2, duplicateRate: 0, reorderRate: 0.2 },
  }),
);

function describeBehaviour(b: Behaviour): string {
  switch (b.kind) {
    case "ends":
      return `${b.decision}s and ends ${b.endGapMs} ms later`;
    case "silent":
      return `${b.decision}s and never ends`;
    case "undecided":
      return `undecided for ${b.forMs} ms, then commits${b.ends ? " and ends" : ""}`;
    case "forever":
      return "undecided forever";
    case "late end":
      return `${b.decision}s, ends with ${b.opposite ? "the opposite" : "the same"} decision once a check's answer was acknowledged`;
  }
}

export function describeChecks(s: ChecksScenario): string[] {
  const txs = s.txs.map((t, i) => {
    const sender = s.producers === 1 ? "p1" : t.sender;
    const immunity = t.checkImmunityMs > 0 ? `, immunity ${t.checkImmunityMs} ms` : "";
    const answer = `answers checks after ${t.answerDelayMs} ms${t.answerTwice ? ", twice" : ""}`;
    return `tx${i + 1} from ${sender}${immunity}: ${describeBehaviour(t.behaviour)}; ${answer}`;
  });
  return [
    ...describePlan(s.plan),
    `${s.producers === 1 ? "one producer, p1" : "two producers, p1 and p2"}${s.p1SkewMs !== 0 ? `; p1's clock starts ${-s.p1SkewMs} ms behind the broker's` : ""}`,
    ...(s.lateCrash === null
      ? []
      : [
          `at ${s.lateCrash.atMs} ms the auditor asks the broker about every half, then the broker crashes for ${s.lateCrash.downMs} ms`,
        ]),
    `workload: ${s.txs.length} transactions over ${s.queueCount} queue(s) of orders: ${txs.join("; ")}`,
  ];
}

/** A transaction as it runs: its script, its truth, where its half went. */
interface Running {
  tx: ChecksTx;
  transactionId: string;
  body: string;
  sentAtMs: number;
  checked: CheckedTx | null;
  lateEndSent: boolean;
}

/** What the transaction's database says at true time `nowMs`. */
function truthAt(run: Running, nowMs: number): "commit" | "rollback" | "unknown" {
  const b = run.tx.behaviour;
  switch (b.kind) {
    case "ends":
    case "silent":
    case "late end":
      return b.decision;
    case "undecided":
      return nowMs - run.sentAtMs >= b.forMs ? "commit" : "unknown";
    case "forever":
      return "unknown";
  }
}

function finalTruth(tx: ChecksTx): boolean {
  const b = tx.behaviour;
  if (b.kind === "undecided") return true;
  if (b.kind === "forever") return false;
  return b.decision === "commit";
}

/** Runs the L3.D/L3.E workload on a deployed broker; `settle` waits for the faults to heal. */
export async function runChecksOn(
  ctx: TestContext<TransactionModule>,
  s: ChecksScenario,
  open: OpenService,
  options: { countChecks: boolean },
): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const deployment: Deployment = await startBrokerAndConsumer(ctx, s.queueCount, open);
  const runs = new Map<string, Running>();
  const onCheck = (node: string, check: CheckTransaction): void => {
    const op = history.invoke(node, "check", {
      tx: check.transactionId,
      halfOffset: check.halfOffset,
      checkTimes: check.checkTimes,
    });
    history.complete(op, "ok");
    const run = runs.get(check.transactionId);
    if (run === undefined) return;
    if (run.checked !== null && run.checked.halfOffset === null) run.checked.halfOffset = check.halfOffset;
    void answer(run, node, check);
  };
  const producers = {
    p1: addScriptedProducer(ctx, "p1", { heartbeat: true, onCheck }),
    p2: addScriptedProducer(ctx, "p2", s.producers === 2 ? { heartbeat: true, onCheck } : {}),
  };
  const answer = async (run: Running, node: string, check: CheckTransaction): Promise<void> => {
    await world.sleep(run.tx.answerDelayMs);
    const decision = truthAt(run, world.nowMs);
    const target = producers[node === "p2" ? "p2" : "p1"];
    const end = { transactionId: run.transactionId, halfOffset: check.halfOffset, decision, fromCheck: true };
    const replies = await Promise.all(
      run.tx.answerTwice ? [sendEnd(ctx, target, end), sendEnd(ctx, target, end)] : [sendEnd(ctx, target, end)],
    );
    const b = run.tx.behaviour;
    const acknowledged = replies.some(
      (r) =>
        r.reply !== null &&
        (r.reply.kind === "alreadyResolved" || (r.reply.kind === "ok" && r.reply.outcome !== "pending")),
    );
    if (b.kind === "late end" && acknowledged && !run.lateEndSent) {
      run.lateEndSent = true;
      const opposite: Verdict = b.decision === "commit" ? "rollback" : "commit";
      await sendEnd(ctx, target, { ...end, decision: b.opposite ? opposite : b.decision, fromCheck: false });
    }
  };
  await producers.p1.start();
  await producers.p2.start();
  if (s.p1SkewMs !== 0) producers.p1.skewClock(s.p1SkewMs);
  const faults = applyFaults(ctx, s.plan);
  let startAtMs = 0;
  let lastDueMs = 0;
  const sends = s.txs.map((tx, i) => {
    startAtMs += tx.startGapMs;
    const startsAt = startAtMs;
    const sender = s.producers === 1 ? "p1" : tx.sender;
    const run: Running = {
      tx,
      transactionId: `tx${i + 1}`,
      body: `${sender}#${i + 1}`,
      sentAtMs: 0,
      checked: null,
      lateEndSent: false,
    };
    runs.set(run.transactionId, run);
    return (async () => {
      await world.sleep(startsAt);
      const node = producers[sender];
      const born = await node.invoke((api) => api.env.clock.now());
      run.sentAtMs = world.nowMs;
      const sent = await sendHalf(ctx, node, {
        transactionId: run.transactionId,
        queueId: tx.queue % s.queueCount,
        key: `order-${tx.keyNo}`,
        body: run.body,
        bornAtMs: born.kind === "ok" ? born.value : 0,
        checkImmunityMs: tx.checkImmunityMs,
      });
      run.checked = {
        transactionId: run.transactionId,
        body: run.body,
        send: sent.op,
        halfOffset: run.checked?.halfOffset ?? sent.halfOffset,
        checkImmunityMs: tx.checkImmunityMs,
        committed: finalTruth(tx),
      };
      lastDueMs = Math.max(lastDueMs, world.nowMs + Math.max(TIMING.transactionTimeoutMs, tx.checkImmunityMs));
      if (sent.halfOffset === null) return;
      const b = tx.behaviour;
      const end = { transactionId: run.transactionId, halfOffset: sent.halfOffset, fromCheck: false };
      if (b.kind === "ends") {
        await world.sleep(b.endGapMs);
        await sendEnd(ctx, node, { ...end, decision: b.decision });
      } else if (b.kind === "undecided" && b.ends) {
        await world.sleep(b.forMs);
        await sendEnd(ctx, node, { ...end, decision: "commit" });
      }
    })();
  });
  const late = s.lateCrash;
  const crashedLate =
    late === null
      ? Promise.resolve()
      : (async () => {
          await world.sleep(late.atMs);
          await probe(
            ctx,
            [...runs.values()].flatMap((run) => (run.checked === null ? [] : [run.checked])),
          );
          deployment.broker.crash();
          await world.sleep(late.downMs);
          await deployment.broker.start();
        })();
  await Promise.all(sends);
  await faults.healed();
  await crashedLate;
  // Long enough for every half's budget to run out once the faults healed.
  const budgetMs = TIMING.checkIntervalMs * (TIMING.checkMax + 5);
  await world.sleep(Math.max(0, lastDueMs - world.nowMs) + budgetMs);
  const txs = [...runs.values()].flatMap((run) => (run.checked === null ? [] : [run.checked]));
  await probe(ctx, txs);
  return checkChecks({
    txs,
    checks: deployment.checks,
    ops: history.ops,
    queues: await deployment.readRealQueues(),
    setAsideTopic: await deployment.readQueue(SET_ASIDE_TOPIC, 0),
    countChecks: options.countChecks,
  });
}

/** Asks the broker about each known half with an "unknown" end from the auditor, until it answers. */
async function probe(ctx: TestContext<TransactionModule>, txs: CheckedTx[]): Promise<void> {
  const auditor = ctx.world.node(AUDITOR) as SimNode<Env>;
  if (!auditor.isUp) await auditor.start();
  for (const tx of txs) {
    if (tx.halfOffset === null) continue;
    const request = {
      type: "endTransaction" as const,
      group: GROUP,
      transactionId: tx.transactionId,
      halfOffset: tx.halfOffset,
      decision: "unknown" as const,
      fromCheck: false,
    };
    const op = ctx.history.invoke(AUDITOR, "end", {
      tx: tx.transactionId,
      halfOffset: tx.halfOffset,
      decision: "unknown",
    });
    const outcome = await auditor.invoke(async (env) => {
      const client = new BrokerClient(env.net, BROKER, 200);
      for (let attempt = 0; attempt < 10; attempt++) {
        const called = await client.call(request);
        if (called.kind === "ok") return called.reply;
      }
      return null;
    });
    if (outcome.kind === "ok" && outcome.value !== null) ctx.history.complete(op, "ok", { output: outcome.value });
    else ctx.history.complete(op, "info", { note: "the broker did not answer" });
  }
}

export async function runChecksWorkload(ctx: TestContext<TransactionModule>, s: ChecksScenario): Promise<Anomaly[]> {
  const open = learnerService(ctx, { recoverResolutions: noRecovery }, true);
  return runChecksOn(ctx, s, open, { countChecks: true });
}
