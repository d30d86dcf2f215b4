/**
 * The effect checker finds each anomaly of its header's counterexamples, names them as a learner
 * reads them, and passes histories where every acknowledged operation was applied once.
 */

import { describe, expect, it } from "vitest";
import type { Database } from "#harness/db.ts";
import type { Env } from "#harness/env.ts";
import { SimDatabase } from "#harness/sim/db.ts";
import { simulate } from "#harness/sim/testing.ts";
import { World } from "#harness/sim/world.ts";
import { applyOrderEvent, type LedgerRow, type OrderEvent, TABLES } from "../provided.ts";
import { type Application, applicationsOf, checkEffects, type EffectsEvidence } from "./check-effects.ts";

const o17: OrderEvent = { orderId: "o17", step: 2, kind: "charge", customer: "alice", amountCents: 2500, sentAtMs: 1 };
const o4: OrderEvent = { orderId: "o4", step: 3, kind: "charge", customer: "bob", amountCents: 900, sentAtMs: 2 };

function applied(event: OrderEvent, nodeId: string, atMs: number, messageId: string): Application {
  const row: LedgerRow = { ...event, consumerId: nodeId, messageId };
  delete (row as Partial<OrderEvent>).sentAtMs;
  return { applicationId: `${nodeId}/${atMs}`, row, nodeId, committedAtMs: atMs };
}

function evidence(overrides: Partial<EffectsEvidence>): EffectsEvidence {
  return {
    sent: [
      {
        event: o17,
        copies: [
          { messageId: "m-5", acknowledged: true },
          { messageId: "m-9", acknowledged: true },
        ],
      },
      { event: o4, copies: [{ messageId: "m-12", acknowledged: true }] },
    ],
    applications: [applied(o17, "c1", 12.4, "m-5"), applied(o4, "c2", 20, "m-12")],
    balances: [
      { key: "alice", row: { cents: 2500 } },
      { key: "bob", row: { cents: 900 } },
    ],
    openingCents: 0,
    ...overrides,
  };
}

describe("lab 04's effect checker", () => {
  it("passes when every acknowledged operation was applied once, whichever copy carried it", () => {
    expect(checkEffects(evidence({}))).toEqual([]);
    const byResend = evidence({ applications: [applied(o17, "c2", 13.1, "m-9"), applied(o4, "c2", 20, "m-12")] });
    expect(checkEffects(byResend)).toEqual([]);
  });

  it("applied twice: names the operation, both consumers, their commit times and the resend", () => {
    const found = checkEffects(
      evidence({
        applications: [applied(o17, "c2", 13.1, "m-9"), applied(o17, "c1", 12.4, "m-5"), applied(o4, "c2", 20, "m-12")],
        balances: [
          { key: "alice", row: { cents: 5000 } },
          { key: "bob", row: { cents: 900 } },
        ],
      }),
    );
    expect(found.map((a) => [a.name, a.explanation])).toEqual([
      [
        "applied twice",
        "order o17 step 2 (charge 2500) by c1 at 12.400ms (message m-5) and by c2 at 13.100ms (message m-9, a resend of m-5 under a new id)",
      ],
    ]);
  });

  it("lost write: an acknowledged operation never applied; an unacknowledged one may be missing", () => {
    const lost = checkEffects(
      evidence({
        applications: [applied(o17, "c1", 12.4, "m-5")],
        balances: [{ key: "alice", row: { cents: 2500 } }],
      }),
    );
    expect(lost.map((a) => a.name)).toEqual(["lost write"]);
    expect(lost[0]?.explanation).toContain("order o4 step 3 (charge 900) was acknowledged to the producer (as m-12)");
    const unacknowledged = evidence({
      sent: [
        { event: o17, copies: [{ messageId: "m-5", acknowledged: true }] },
        { event: o4, copies: [{ messageId: "m-12", acknowledged: false }] },
      ],
      applications: [applied(o17, "c1", 12.4, "m-5")],
      balances: [{ key: "alice", row: { cents: 2500 } }],
    });
    expect(checkEffects(unacknowledged)).toEqual([]);
  });

  it("wrong answer: an operation nobody sent, or a balance its ledger rows do not explain", () => {
    const o99: OrderEvent = { ...o4, orderId: "o99" };
    const found = checkEffects(
      evidence({
        applications: [applied(o17, "c1", 12.4, "m-5"), applied(o4, "c2", 20, "m-12"), applied(o99, "c2", 30, "m-77")],
        balances: [
          { key: "alice", row: { cents: 2500 } },
          { key: "bob", row: { cents: 900 } },
        ],
      }),
    );
    expect(found.map((a) => a.name)).toEqual(["wrong answer", "wrong answer"]);
    expect(found[0]?.explanation).toContain("order o99 step 3 (charge 900) was applied by c2");
    expect(found[1]?.explanation).toContain(
      "customer bob's balance is 900, but its opening (0) and its ledger rows make 1800",
    );
  });

  it("reads the applications from the database's committed transactions: who, when, which message", async () => {
    const world = new World({ seed: 1 });
    const db = new SimDatabase(world);
    const boot = (env: Env): Database => db.connect(env);
    const nodes = [world.addNode("c1", boot), world.addNode("c2", boot)];
    await simulate(world, async () => {
      for (const node of nodes) await node.start();
      await nodes[0]?.invoke((d) => d.transaction((tx) => tx.put(TABLES.balances, "alice", { cents: 0 })));
      for (const [i, node] of nodes.entries()) {
        const by = { applicationId: `a${i}`, consumerId: `c${i + 1}`, messageId: i === 0 ? "m-5" : "m-9" };
        await node.invoke((d) => d.transaction((tx) => applyOrderEvent(tx, o17, by)));
      }
      // A rolled-back application leaves no row and is not counted.
      await nodes[0]?.invoke((d) =>
        d.transaction(async (tx) => {
          await applyOrderEvent(tx, o17, { applicationId: "a9", consumerId: "c1", messageId: "m-5" });
          throw new Error("rolled back");
        }),
      );
    });
    const applications = applicationsOf(db);
    expect(applications.map((a) => [a.nodeId, a.row.messageId])).toEqual([
      ["c1", "m-5"],
      ["c2", "m-9"],
    ]);
    const found = checkEffects({
      sent: [{ event: o17, copies: [{ messageId: "m-5", acknowledged: true }] }],
      applications,
      balances: db.rows(TABLES.balances),
      openingCents: 0,
    });
    expect(found.map((a) => a.name)).toEqual(["applied twice"]);
  });
});
