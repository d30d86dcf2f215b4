/**
 * The push consumer is grader code: every part's verdict rests on it. With correct parts (the
 * stand-ins), every event sent is applied exactly once and every queue's offset reaches its end,
 * also when a consumer joins late (a rebalance) and when one crashes and comes back; queues are
 * shared as AllocateMessageQueueAveragely shares them.
 */

import { describe, expect, it } from "vitest";
import type { Database } from "#harness/db.ts";
import type { Env } from "#harness/env.ts";
import { type DbProfile, SimDatabase } from "#harness/sim/db.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { simulate } from "#harness/sim/testing.ts";
import { World } from "#harness/sim/world.ts";
import { type Broker, defaultBrokerConfig, openBroker } from "#labs/shared/broker/broker.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import { openLogStore } from "#labs/shared/broker/log-store.ts";
import { GROUP, type OrderEvent, TABLES, TIMING, TOPIC } from "./provided.ts";
import { allocate, encodeEnvelope, type RuntimeHooks, runPushConsumer } from "./runtime.ts";
import { applicationsOf, checkEffects, type SentOperation } from "./tests/check-effects.ts";
import { standInClaim, standInHandle, standInKey, standInTracker } from "./tests/stand-ins.ts";

const QUEUES = 4;
const QUEUE_IDS = Array.from({ length: QUEUES }, (_, q) => q);
const CUSTOMERS = ["alice", "bob"];

interface Deployed {
  world: World;
  db: SimDatabase;
  broker: SimNode<Broker>;
  consumers: SimNode<unknown>[];
  rebalances: { consumer: string; queues: readonly number[] }[];
  /** Every delivery handed to a handler: its message id. */
  deliveries: string[];
  send(count: number): Promise<SentOperation[]>;
}

function deploy(seed: number, consumerCount: number, dbProfile: Partial<DbProfile> = {}): Deployed {
  const world = new World({ seed });
  const db = new SimDatabase(world, dbProfile);
  const config = {
    ...defaultBrokerConfig,
    topics: { [TOPIC]: QUEUES },
    sessionMs: TIMING.sessionMs,
    pullHoldMaxMs: TIMING.pullHoldMs,
  };
  const broker = world.addNode<Broker>("broker", async (env) => openBroker(env, config, await openLogStore(env)));
  const rebalances: Deployed["rebalances"] = [];
  const deliveries: string[] = [];
  const consumers = Array.from({ length: consumerCount }, (_, i) =>
    world.addNode(`c${i + 1}`, async (env: Env) => {
      const hooks: RuntimeHooks = {
        rebalanced: (queues) => rebalances.push({ consumer: env.nodeId, queues }),
        delivered: (delivery) => deliveries.push(delivery.messageId),
      };
      const stores = { broker: new BrokerClient(env.net, "broker", TIMING.requestTimeoutMs), db: db.connect(env) };
      const parts = {
        businessKey: standInKey,
        claim: standInClaim,
        handle: standInHandle,
        openTracker: standInTracker,
      };
      await runPushConsumer(env, stores, parts, hooks);
    }),
  );
  const producer = world.addNode("p1", (env: Env) => ({ env, db: db.connect(env) as Database }));
  const send = async (count: number): Promise<SentOperation[]> => {
    await producer.start();
    const sent: SentOperation[] = [];
    await producer.invoke(async ({ env, db: conn }) => {
      await conn.transaction(async (tx) => {
        for (const customer of CUSTOMERS) await tx.put(TABLES.balances, customer, { cents: 0 });
      });
      const client = new BrokerClient(env.net, "broker", TIMING.requestTimeoutMs);
      for (let n = 0; n < count; n++) {
        const event: OrderEvent = {
          orderId: `o${n % 5}`,
          step: Math.floor(n / 5) + 1,
          kind: "charge",
          customer: CUSTOMERS[n % 2] ?? "alice",
          amountCents: 100 + n,
          sentAtMs: env.clock.now(),
        };
        const body = encodeEnvelope({ id: `m-${n}`, event });
        const queueId = n % QUEUES;
        for (;;) {
          const outcome = await client.call({
            type: "send",
            topic: TOPIC,
            queueId,
            key: event.orderId,
            body,
            producerId: "p1",
            // Sequences number each (producer, queue) stream from 0.
            sequence: Math.floor(n / QUEUES),
          });
          if (outcome.kind === "ok" && (outcome.reply.kind === "ok" || outcome.reply.kind === "duplicate")) break;
          await env.clock.sleep(5);
        }
        sent.push({ event, copies: [{ messageId: `m-${n}`, acknowledged: true }] });
      }
    });
    return sent;
  };
  return { world, db, broker, consumers, rebalances, deliveries, send };
}

/** What the effect checker finds in the committed database, for the events `sent`. */
function effectAnomalies(d: Deployed, sent: Parameters<typeof checkEffects>[0]["sent"]) {
  return checkEffects({
    sent,
    applications: applicationsOf(d.db),
    balances: d.db.rows(TABLES.balances),
    openingCents: 0,
  });
}

/** Waits until the group's committed offsets reach every queue's end, or `deadlineMs` passes. */
async function drained(d: Deployed, total: number, deadlineMs: number): Promise<boolean> {
  const end = d.world.nowMs + deadlineMs;
  while (d.world.nowMs < end) {
    const api = d.broker.incarnation?.api;
    const committed = Array.from({ length: QUEUES }, (_, q) => api?.committed(GROUP, TOPIC, q)?.offset ?? 0);
    if (committed.reduce((a, b) => a + b, 0) === total) return true;
    await d.world.sleep(10);
  }
  return false;
}

describe("lab 04's push consumer", () => {
  it("allocates queues as AllocateMessageQueueAveragely does", () => {
    expect(allocate(["c1", "c2"], 4, "c1")).toEqual([0, 1]);
    expect(allocate(["c1", "c2"], 4, "c2")).toEqual([2, 3]);
    expect(allocate(["c1", "c2", "c3"], 4, "c1")).toEqual([0, 1]);
    expect(allocate(["c1", "c2", "c3"], 4, "c3")).toEqual([3]);
    expect(allocate(["c1", "c2"], 4, "c9")).toEqual([]);
  });

  it("two consumers, one joining late: every event applied once, every offset at its queue's end", async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const d = deploy(seed, 2);
      const result = await simulate(d.world, async () => {
        await d.broker.start();
        await d.consumers[0]?.start();
        const sent = await d.send(24);
        await d.world.sleep(30);
        await d.consumers[1]?.start();
        const done = await drained(d, 24, 3000);
        // Let both consumers see the group of two (a few heartbeats).
        await d.world.sleep(TIMING.heartbeatMs * 3);
        return { sent, drained: done };
      });
      expect(result.drained, `seed ${seed}`).toBe(true);
      const found = effectAnomalies(d, result.sent);
      expect(found, `seed ${seed}`).toEqual([]);
      // c1 held every queue, then gave half to c2.
      expect(d.rebalances.find((r) => r.consumer === "c1")?.queues).toEqual([0, 1, 2, 3]);
      expect(d.rebalances.filter((r) => r.consumer === "c1").at(-1)?.queues).toEqual([0, 1]);
      expect(d.rebalances.filter((r) => r.consumer === "c2").at(-1)?.queues).toEqual([2, 3]);
    }
  });

  it("a consumer that crashes mid-way and restarts: redelivered messages are not applied twice, none is lost", async () => {
    const d = deploy(5, 1);
    const result = await simulate(d.world, async () => {
      await d.broker.start();
      await d.consumers[0]?.start();
      const sending = d.send(40);
      await d.world.sleep(15);
      d.consumers[0]?.crash();
      await d.world.sleep(20);
      await d.consumers[0]?.start();
      const sent = await sending;
      return { sent, drained: await drained(d, 40, 3000) };
    });
    expect(result.drained).toBe(true);
    // The crash came before some offsets were committed: those messages came again.
    expect(d.deliveries.length).toBeGreaterThan(40);
    const applications = applicationsOf(d.db);
    expect(applications).toHaveLength(40);
    expect(effectAnomalies(d, result.sent)).toEqual([]);
  });

  it("slow handlers and a crash after a commit: what was in flight comes again (the tracker holds the offset back)", async () => {
    // Statements of 2-10 ms round trips: a handler takes tens of ms, so commits happen mid-flight.
    const d = deploy(7, 1, { networkMs: [1, 5] });
    const result = await simulate(d.world, async () => {
      await d.broker.start();
      await d.consumers[0]?.start();
      const sent = await d.send(40);
      await d.world.sleep(TIMING.commitIntervalMs + 15);
      d.consumers[0]?.crash();
      await d.world.sleep(20);
      await d.consumers[0]?.start();
      return { sent, drained: await drained(d, 40, 5000) };
    });
    expect(result.drained).toBe(true);
    expect(effectAnomalies(d, result.sent)).toEqual([]);
  });

  it("a handler that answers retryLater (aborted commits) is handed the delivery again until done", async () => {
    const d = deploy(3, 1);
    const result = await simulate(d.world, async () => {
      await d.broker.start();
      d.db.abortCommits("c1", 5);
      await d.consumers[0]?.start();
      const sent = await d.send(12);
      return { sent, drained: await drained(d, 12, 3000) };
    });
    expect(result.drained).toBe(true);
    expect(d.deliveries.length).toBeGreaterThanOrEqual(12 + 5);
    expect(effectAnomalies(d, result.sent)).toEqual([]);
  });

  it("a broker that restarts and forgets the last commits: the consumers commit them again, with nothing new to receive", async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const d = deploy(seed, 2);
      const result = await simulate(d.world, async () => {
        await d.broker.start();
        for (const consumer of d.consumers) await consumer.start();
        const sent = await d.send(16);
        const first = await drained(d, 16, 3000);
        // Killed right after the last commits arrived: the broker persists its offsets every
        // 100 ms, so it comes back with older ones, and no message is left to pull.
        d.broker.crash();
        await d.world.sleep(5);
        await d.broker.start();
        const lost = QUEUE_IDS.reduce(
          (sum, q) => sum + (d.broker.incarnation?.api?.committed(GROUP, TOPIC, q)?.offset ?? 0),
          0,
        );
        return { sent, first, lost, again: await drained(d, 16, 1000) };
      });
      expect(result.first, `seed ${seed}`).toBe(true);
      expect(result.lost, `seed ${seed}: the restart lost some commits`).toBeLessThan(16);
      expect(result.again, `seed ${seed}`).toBe(true);
      expect(effectAnomalies(d, result.sent), `seed ${seed}`).toEqual([]);
    }
  });

  it("a queue taken with nothing left to receive commits the offset it was taken at, so a broker that forgot it learns it again", async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const d = deploy(seed, 2);
      const result = await simulate(d.world, async () => {
        await d.broker.start();
        await d.consumers[0]?.start();
        const sent = await d.send(16);
        const first = await drained(d, 16, 3000);
        // c2 joins and takes queues 2 and 3 at their ends: it will never receive anything there.
        // Once c1 has dropped them (committing them once more), only c2 can commit them.
        await d.consumers[1]?.start();
        const settled = (): boolean =>
          d.rebalances.some((r) => r.consumer === "c2" && r.queues.length > 0) &&
          d.rebalances.filter((r) => r.consumer === "c1").at(-1)?.queues.length === 2;
        while (!settled()) await d.world.sleep(1);
        // The broker restarts at once, with its last persisted offsets: c1's last commits of queues
        // 2 and 3 are among those it forgets.
        d.broker.crash();
        await d.world.sleep(5);
        await d.broker.start();
        const takenQueues = [2, 3].reduce(
          (sum, q) => sum + (d.broker.incarnation?.api?.committed(GROUP, TOPIC, q)?.offset ?? 0),
          0,
        );
        return { sent, first, takenQueues, again: await drained(d, 16, 1000) };
      });
      expect(result.first, `seed ${seed}`).toBe(true);
      expect(result.takenQueues, `seed ${seed}: the restart lost commits of queues 2 and 3`).toBeLessThan(8);
      expect(result.again, `seed ${seed}`).toBe(true);
      expect(effectAnomalies(d, result.sent), `seed ${seed}`).toEqual([]);
    }
  });
});
