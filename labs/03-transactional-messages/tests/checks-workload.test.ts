/**
 * L3.D's workload at its extreme, with the reference solution (imported directly, not through the
 * grader's loader): the broker's link to the only producer is cut for 250 ms, the longest the plan
 * draws, right when the first checks go out. The checks lost then are spent on a producer the
 * broker's registry still lists as live (its heartbeats arrive), and the budget must still hold:
 * the transaction that commits after 300 ms is delivered, and the one that never decides is set
 * aside after exactly its 15 checks. If the plan's cap grew past what the budget absorbs, this
 * would fail before any learner did.
 */
import { describe, expect, it } from "vitest";
import type { TestContext } from "#harness/grade/define.ts";
import { simulate } from "#harness/sim/testing.ts";
import { World } from "#harness/sim/world.ts";
import { History } from "#harness/workloads/history.ts";
import * as checkService from "../solution/check-service.ts";
import * as endTransaction from "../solution/end-transaction.ts";
import * as halfStore from "../solution/half-store.ts";
import type { TransactionModule } from "./api.ts";
import { type ChecksScenario, type ChecksTx, runChecksWorkload } from "./checks.ts";
import { BROKER } from "./deployment.ts";

const solution = { ...halfStore, ...endTransaction, ...checkService } as unknown as TransactionModule;

function context(seed: number): TestContext<TransactionModule> {
  const world = new World({ seed });
  const history = new History(() => world.nowMs);
  return { world, history, impl: solution, implFor: () => solution, seed, rng: world.rootRng.fork("workload") };
}

const tx = (behaviour: ChecksTx["behaviour"]): ChecksTx => ({
  sender: "p1",
  queue: 0,
  keyNo: 1,
  startGapMs: 0,
  checkImmunityMs: 0,
  behaviour,
  answerDelayMs: 40,
  answerTwice: false,
});

describe("L3.D's workload, with the reference solution", () => {
  it("a 250 ms cut of the broker's link to its only producer, as checks start: nothing lost", async () => {
    const scenario: ChecksScenario = {
      producers: 1,
      p1SkewMs: 0,
      queueCount: 1,
      txs: [tx({ kind: "undecided", forMs: 300, ends: false }), tx({ kind: "forever" })],
      plan: { events: [{ atMs: 190, kind: "blockLink", from: BROKER, to: "p1", forMs: 250 }] },
      lateCrash: null,
    };
    const ctx = context(1);
    const anomalies = await simulate(ctx.world, () => runChecksWorkload(ctx, scenario));
    expect(anomalies).toEqual([]);
    const received = ctx.history.ops
      .filter((op) => op.f === "receive")
      .map((op) => (op.input as { body: string }).body);
    expect(received).toEqual(["p1#1"]);
    const probes = ctx.history.ops.filter((op) => op.client === "auditor").map((op) => op.output);
    expect(probes).toEqual([
      { kind: "alreadyResolved", outcome: "committed" },
      { kind: "alreadyResolved", outcome: "setAside" },
    ]);
    const checksOfForever = ctx.history.ops.filter(
      (op) => op.f === "check" && (op.input as { tx: string }).tx === "tx2",
    ).length;
    // 15 sent, some of them into the cut link.
    expect(checksOfForever).toBeLessThan(15);
  }, 60_000);
});
