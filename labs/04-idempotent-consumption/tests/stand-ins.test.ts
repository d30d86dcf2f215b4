/**
 * The stand-ins are grader code: a wrong one would blame a learner for its own mistake. Each is
 * held to the contract of the learner file it stands in for.
 */

import { describe, expect, it } from "vitest";
import type { Database } from "#harness/db.ts";
import type { Env } from "#harness/env.ts";
import { SimDatabase } from "#harness/sim/db.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { simulate } from "#harness/sim/testing.ts";
import { World } from "#harness/sim/world.ts";
import { applyOrderEvent, type Delivery, type HandlerContext, TABLES } from "../provided.ts";
import { standInClaim, standInHandle, standInKey } from "./stand-ins.ts";

const charge: Delivery = {
  messageId: "m-1",
  queueId: 1,
  queueOffset: 4,
  key: "o17",
  event: { orderId: "o17", step: 2, kind: "charge", customer: "alice", amountCents: 2500, sentAtMs: 10 },
  reconsumeTimes: 0,
};

/** The same operation resent: new id, new offset, new sentAtMs. */
const resend: Delivery = { ...charge, messageId: "m-9", queueOffset: 7, event: { ...charge.event, sentAtMs: 30 } };

interface Api {
  env: Env;
  db: Database;
}

function deployment(seed = 1): { world: World; db: SimDatabase; nodes: SimNode<Api>[] } {
  const world = new World({ seed });
  const db = new SimDatabase(world);
  const boot = (env: Env): Api => ({ env, db: db.connect(env) });
  return { world, db, nodes: [world.addNode("c1", boot), world.addNode("c2", boot)] };
}

function context(api: Api): HandlerContext {
  let applications = 0;
  return {
    env: api.env,
    db: api.db,
    consumerId: api.env.nodeId,
    businessKey: standInKey,
    claim: standInClaim,
    apply: (tx, delivery) =>
      applyOrderEvent(tx, delivery.event, {
        applicationId: `${api.env.nodeId}/${++applications}`,
        consumerId: api.env.nodeId,
        messageId: delivery.messageId,
      }),
  };
}

async function value<T>(node: SimNode<Api>, call: (api: Api) => Promise<T>): Promise<T | string> {
  const outcome = await node.invoke(call);
  if (outcome.kind === "ok") return outcome.value;
  return outcome.kind === "error" ? (outcome.error as Error).name : outcome.kind;
}

describe("lab 04's stand-ins", () => {
  it("the key: one for every copy of an operation, another for another step or order", () => {
    expect(standInKey(resend)).toBe(standInKey(charge));
    expect(standInKey({ ...charge, event: { ...charge.event, step: 3 } })).not.toBe(standInKey(charge));
    expect(standInKey({ ...charge, event: { ...charge.event, orderId: "o18" } })).not.toBe(standInKey(charge));
  });

  it("the claim: of two concurrent transactions claiming one key, exactly one is first, whatever the seed", async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { world, db, nodes } = deployment(seed);
      const seen = await simulate(world, async () => {
        for (const node of nodes) await node.start();
        return Promise.all(
          nodes.map((node) => value(node, (api) => api.db.transaction((tx) => standInClaim(tx, "k")))),
        );
      });
      expect([...seen].sort(), `seed ${seed}`).toEqual(["first", "seen"]);
      expect(db.rows(TABLES.inbox).map((r) => r.key)).toEqual(["k"]);
    }
  });

  it("the claim: if the first claimant rolls back, the one waiting for it is first", async () => {
    const { world, nodes } = deployment();
    const [c1, c2] = nodes as [SimNode<Api>, SimNode<Api>];
    const seen = await simulate(world, async () => {
      await c1.start();
      await c2.start();
      const first = value(c1, (api) =>
        api.db.transaction(async (tx) => {
          await standInClaim(tx, "k");
          await api.env.clock.sleep(5);
          throw new Error("the handler failed");
        }),
      );
      await world.sleep(2);
      const second = value(c2, (api) => api.db.transaction((tx) => standInClaim(tx, "k")));
      return [await first, await second];
    });
    expect(seen).toEqual(["Error", "first"]);
  });

  it("the handler: a resend is applied once; an aborted commit answers retryLater and applies nothing", async () => {
    const { world, db, nodes } = deployment();
    const [c1] = nodes as [SimNode<Api>];
    const seen = await simulate(world, async () => {
      await c1.start();
      await value(c1, (api) => api.db.transaction((tx) => tx.put(TABLES.balances, "alice", { cents: 0 })));
      db.abortCommits("c1", 1);
      const aborted = await value(c1, (api) => standInHandle(context(api), charge));
      const afterAbort = db.rows(TABLES.ledger).length;
      const done = await value(c1, (api) => standInHandle(context(api), charge));
      const again = await value(c1, (api) => standInHandle(context(api), resend));
      return { aborted, afterAbort, done, again };
    });
    expect(seen).toEqual({ aborted: "retryLater", afterAbort: 0, done: "done", again: "done" });
    expect(db.rows(TABLES.ledger).map((r) => r.row)).toMatchObject([{ orderId: "o17", step: 2, messageId: "m-1" }]);
    expect(db.row(TABLES.balances, "alice")).toEqual({ cents: 2500 });
  });
});
