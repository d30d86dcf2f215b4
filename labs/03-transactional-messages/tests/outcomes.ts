/**
 * L3.C's workload: the learner's end-transaction.ts on the learner's half store, no check service,
 * no recovery (the broker does not crash here), driven by two scripted producers of the group.
 *
 * p1 and p2 store 4 to 10 halves; after each half, its sender plays a drawn script of end
 * requests: one end; the same end twice at once; the same end again after a gap (a retry after a
 * lost reply); a "check answer" from the other node at the same moment as the sender's own end,
 * with the same or the opposite decision; a commit 50 to 150 ms after a rollback (the late commit
 * of apache/rocketmq#2694); "unknown", then a decision, then "unknown" again from the other node (a
 * check answered while its database was unreachable); a request with a wrong transaction id beside
 * the right one. The broker's store never fails here, so no reply may be `error`. The network loses, duplicates and reorders requests, and links fail for a
 * while: the broker's fsyncs (1 to 3 ms) give concurrent requests time to interleave.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { describePlan, type FaultPlan, planArb } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { TransactionModule } from "./api.ts";
import { checkOutcomes, type StoredHalf } from "./check-outcomes.ts";
import { applyFaults, BROKER, learnerService, startBrokerAndConsumer } from "./deployment.ts";
import { noRecovery } from "./no-recovery.ts";
import { addScriptedProducer, type ScriptedEnd, type ScriptedNode, sendEnd, sendHalf } from "./scripted-producer.ts";

type Verdict = "commit" | "rollback";

export type Script =
  | { kind: "one"; decision: Verdict }
  | { kind: "twice at once"; decision: Verdict }
  | { kind: "retried"; decision: Verdict; gapMs: number }
  | { kind: "check races end"; decision: Verdict; opposite: boolean }
  | { kind: "late commit"; gapMs: number }
  /** "unknown", the decision, then "unknown" again: a check answered by a producer whose database is unreachable. */
  | { kind: "unknown first"; decision: Verdict; gapMs: number }
  /** A request naming another transaction, another group, or an offset where no half is (past the end, or negative), beside the right one. */
  | { kind: "misaddressed"; decision: Verdict; wrong: "transaction" | "group" | "offset" | "negative offset" };

export interface OutcomesHalf {
  sender: "p1" | "p2";
  queue: number;
  keyNo: number;
  startGapMs: number;
  /** Between the half's reply and the script's first request. */
  endGapMs: number;
  script: Script;
}

export interface OutcomesScenario {
  queueCount: number;
  halves: OutcomesHalf[];
  plan: FaultPlan;
}

const SETTLE_MS = 100;

/** Added to a half's offset, it names an offset where no half is (a run stores a few dozen at most). */
export const NO_HALF_OFFSET = 1_000;

const decisionArb = fc.constantFrom<Verdict>("commit", "rollback");

const scriptArb: fc.Arbitrary<Script> = fc.oneof(
  fc.record({ kind: fc.constant("one" as const), decision: decisionArb }),
  fc.record({ kind: fc.constant("twice at once" as const), decision: decisionArb }),
  fc.record({ kind: fc.constant("retried" as const), decision: decisionArb, gapMs: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ kind: fc.constant("check races end" as const), decision: decisionArb, opposite: fc.boolean() }),
  fc.record({ kind: fc.constant("late commit" as const), gapMs: fc.integer({ min: 50, max: 150 }) }),
  fc.record({
    kind: fc.constant("unknown first" as const),
    decision: decisionArb,
    gapMs: fc.integer({ min: 0, max: 60 }),
  }),
  fc.record({
    kind: fc.constant("misaddressed" as const),
    decision: decisionArb,
    wrong: fc.constantFrom<"transaction" | "group" | "offset" | "negative offset">(
      "transaction",
      "group",
      "offset",
      "negative offset",
    ),
  }),
);

export const outcomesScenario: fc.Arbitrary<OutcomesScenario> = fc.record({
  queueCount: fc.integer({ min: 1, max: 3 }),
  halves: fc.array(
    fc.record({
      sender: fc.constantFrom<"p1" | "p2">("p1", "p2"),
      queue: fc.nat(2),
      keyNo: fc.nat(20),
      startGapMs: fc.integer({ min: 0, max: 30 }),
      endGapMs: fc.integer({ min: 0, max: 20 }),
      script: scriptArb,
    }),
    { minLength: 4, maxLength: 10 },
  ),
  plan: planArb({
    nodes: ["p1", "p2"],
    networkNodes: ["p1", "p2", BROKER],
    kinds: ["blockLink", "partition"],
    eventsMax: 2,
    windowMs: 200,
    outageMsMax: 100,
    netRatesMax: { dropRate: 0.2, duplicateRate: 0.3, reorderRate: 0.3 },
  }),
});

function describeScript(script: Script): string {
  switch (script.kind) {
    case "one":
      return script.decision;
    case "twice at once":
      return `${script.decision} twice at once`;
    case "retried":
      return `${script.decision}, again ${script.gapMs} ms later`;
    case "check races end":
      return `${script.decision} racing a check answer of ${script.opposite ? "the opposite" : "the same"} decision`;
    case "late commit":
      return `rollback, then commit ${script.gapMs} ms later`;
    case "unknown first":
      return `unknown, then ${script.decision} ${script.gapMs} ms later, then unknown from the other producer (a check's answer)`;
    case "misaddressed":
      return `${script.decision} with a wrong ${script.wrong} beside the right one`;
  }
}

export function describeOutcomes(s: OutcomesScenario): string[] {
  const scripts = s.halves.map((h, i) => `tx${i + 1} from ${h.sender}: ${describeScript(h.script)}`);
  return [
    ...describePlan(s.plan),
    `workload: ${s.halves.length} halves over ${s.queueCount} queue(s) of orders, each followed by its script of end requests (never more): ${scripts.join("; ")}`,
  ];
}

export async function runOutcomesWorkload(
  ctx: TestContext<TransactionModule>,
  s: OutcomesScenario,
): Promise<Anomaly[]> {
  const { world } = ctx;
  const service = learnerService(ctx, { recoverResolutions: noRecovery }, false);
  const deployment = await startBrokerAndConsumer(ctx, s.queueCount, service);
  const producers = { p1: addScriptedProducer(ctx, "p1"), p2: addScriptedProducer(ctx, "p2") };
  await producers.p1.start();
  await producers.p2.start();
  const faults = applyFaults(ctx, s.plan);
  const stored: StoredHalf[] = [];
  let startAtMs = 0;
  const runs = s.halves.map((h, i) => {
    startAtMs += h.startGapMs;
    const startsAt = startAtMs;
    const transactionId = `tx${i + 1}`;
    const body = `${h.sender}#${i + 1}`;
    return (async () => {
      await world.sleep(startsAt);
      const sender = producers[h.sender];
      const sent = await sendHalf(ctx, sender, {
        transactionId,
        queueId: h.queue % s.queueCount,
        key: `order-${h.keyNo}`,
        body,
        bornAtMs: 0,
        checkImmunityMs: 0,
      });
      if (sent.halfOffset === null) return;
      stored.push({ transactionId, body, halfOffset: sent.halfOffset, send: sent.op });
      await world.sleep(h.endGapMs);
      const other = producers[h.sender === "p1" ? "p2" : "p1"];
      await playScript(ctx, h.script, sender, other, { transactionId, halfOffset: sent.halfOffset });
    })();
  });
  await Promise.all(runs);
  await faults.healed();
  await world.sleep(SETTLE_MS);
  return checkOutcomes({
    halves: stored,
    ops: ctx.history.ops,
    queues: await deployment.readRealQueues(),
    storeNeverFails: true,
  });
}

async function playScript(
  ctx: TestContext<TransactionModule>,
  script: Script,
  sender: SimNode<ScriptedNode>,
  other: SimNode<ScriptedNode>,
  half: { transactionId: string; halfOffset: number },
): Promise<void> {
  const end = (node: SimNode<ScriptedNode>, decision: ScriptedEnd["decision"], more: Partial<ScriptedEnd> = {}) =>
    sendEnd(ctx, node, { ...half, decision, fromCheck: false, ...more });
  const opposite = (d: Verdict): Verdict => (d === "commit" ? "rollback" : "commit");
  switch (script.kind) {
    case "one":
      await end(sender, script.decision);
      return;
    case "twice at once":
      await Promise.all([end(sender, script.decision), end(sender, script.decision)]);
      return;
    case "retried":
      await end(sender, script.decision);
      await ctx.world.sleep(script.gapMs);
      await end(sender, script.decision);
      return;
    case "check races end": {
      const answer = script.opposite ? opposite(script.decision) : script.decision;
      await Promise.all([end(sender, script.decision), end(other, answer, { fromCheck: true })]);
      return;
    }
    case "late commit":
      await end(sender, "rollback");
      await ctx.world.sleep(script.gapMs);
      await end(sender, "commit");
      return;
    case "unknown first":
      await end(sender, "unknown");
      await ctx.world.sleep(script.gapMs);
      await end(sender, script.decision);
      // A resolved half answers alreadyResolved, whatever is asked, "unknown" too. (A moment later:
      // the checker holds a request to an outcome acknowledged strictly before it was sent.)
      await ctx.world.sleep(1);
      await end(other, "unknown", { fromCheck: true });
      return;
    case "misaddressed": {
      const wrong: Partial<ScriptedEnd> = {
        transaction: { transactionId: `${half.transactionId}-other` },
        group: { group: "another-group" },
        offset: { halfOffset: half.halfOffset + NO_HALF_OFFSET },
        "negative offset": { halfOffset: -1 - half.halfOffset },
      }[script.wrong];
      await Promise.all([end(sender, script.decision, wrong), end(sender, script.decision)]);
      return;
    }
  }
}
