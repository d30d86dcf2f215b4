/**
 * The grader's own pieces for lab 03's RocketMQ parts: the deployment (broker, consumer, auditor),
 * the scripted producer, the oracle service, and the stand-ins plain-end.ts and no-recovery.ts. A
 * bug in any of them would be a false verdict for every learner, so each is held to its header.
 */
import { describe, expect, it } from "vitest";
import type { TestContext } from "#harness/grade/define.ts";
import { simulate } from "#harness/sim/testing.ts";
import { World } from "#harness/sim/world.ts";
import { History } from "#harness/workloads/history.ts";
import type { Env } from "#lab";
import {
  assembleService,
  type EndTransactionRequest,
  GROUP,
  HALF_OFFSET,
  HalfLocks,
  type HalfMessage,
  Resolutions,
  type ServiceContext,
  TIMING,
  TOPIC,
  TX_ID,
} from "#labs/03-transactional-messages/provided.ts";
import type { CheckTransaction } from "#labs/shared/broker/protocol.ts";
import type { BrokerSide } from "#labs/shared/broker/transactions.ts";
import type { ScriptedTx } from "./check-halves.ts";
import { addConsumer, BROKER, deployBroker, startBroker } from "./deployment.ts";
import { noRecovery } from "./no-recovery.ts";
import { type HalfFault, newOracleRecord, oracleService } from "./oracle-service.ts";
import { plainEnd } from "./plain-end.ts";
import { addScriptedProducer, sendEnd, sendHalf } from "./scripted-producer.ts";

function context(seed = 1): TestContext<unknown> {
  const world = new World({ seed });
  const history = new History(() => world.nowMs);
  return { world, history, impl: {}, implFor: () => ({}), seed, rng: world.rootRng.fork("workload") };
}

const half = (n: number, overrides: Partial<ScriptedTx> = {}): ScriptedTx => ({
  transactionId: `tx${n}`,
  queueId: n % 2,
  key: `order-${n}`,
  body: `p1#${n}`,
  bornAtMs: 0,
  checkImmunityMs: 0,
  ...overrides,
});

/** A deployment with the oracle service, a consumer, and scripted producers p1 (and p2). */
function oracleWorld(options: {
  heartbeat: boolean;
  onCheck?: (node: string, c: CheckTransaction) => void;
  halfFaults?: ReadonlyMap<string, HalfFault>;
}) {
  const ctx = context();
  const record = newOracleRecord();
  const deployment = deployBroker(ctx, 2, () =>
    oracleService(record, options.halfFaults, (text) => ctx.history.nemesis(text)),
  );
  const consumer = addConsumer(ctx, 2);
  const p1 = addScriptedProducer(ctx, "p1", options);
  /** Starts the broker, the consumer and p1 (inside the simulation). */
  const boot = async (): Promise<void> => {
    await startBroker(deployment);
    await consumer.start();
    await p1.start();
  };
  return { ctx, record, deployment, p1, boot };
}

describe("the oracle service, through the broker, the scripted producer and the consumer", () => {
  it("commits a half once, whatever else arrives for it; answers later ends with the first outcome", async () => {
    const { ctx, deployment, p1, record, boot } = oracleWorld({ heartbeat: false });
    const result = await simulate(ctx.world, async () => {
      await boot();
      const sent = await sendHalf(ctx, p1, half(1));
      const halfOffset = sent.halfOffset ?? -1;
      const end = (decision: "commit" | "rollback") =>
        sendEnd(ctx, p1, { transactionId: "tx1", halfOffset, decision, fromCheck: false });
      const racing = await Promise.all([end("commit"), end("rollback"), end("commit")]);
      const late = await end("rollback");
      await ctx.world.sleep(100);
      return {
        halfOffset,
        replies: [...racing, late].map((s) => s.reply),
        queue: await deployment.readQueue(TOPIC, 1),
      };
    });
    expect(result.halfOffset).toBe(0);
    expect(result.replies).toEqual([
      { kind: "ok", outcome: "committed" },
      { kind: "alreadyResolved", outcome: "committed" },
      { kind: "alreadyResolved", outcome: "committed" },
      { kind: "alreadyResolved", outcome: "committed" },
    ]);
    expect(result.queue.map((m) => [m.key, m.body, m.properties[TX_ID], m.properties[HALF_OFFSET]])).toEqual([
      ["order-1", "p1#1", "tx1", "0"],
    ]);
    expect(record.ends.map((e) => e.from)).toEqual(["p1", "p1", "p1", "p1"]);
    const received = ctx.history.ops.filter((op) => op.f === "receive").map((op) => op.input);
    expect(received).toEqual([{ queueId: 1, queueOffset: 0, key: "order-1", body: "p1#1" }]);
  });

  it("stores a transaction's half once, though its request arrives twice", async () => {
    const { ctx, record, p1, boot } = oracleWorld({ heartbeat: false });
    const offsets = await simulate(ctx.world, async () => {
      await boot();
      const twice = await Promise.all([sendHalf(ctx, p1, half(1)), sendHalf(ctx, p1, half(1))]);
      const other = await sendHalf(ctx, p1, half(2));
      return [...twice, other].map((s) => s.halfOffset);
    });
    expect(offsets).toEqual([0, 0, 1]);
    expect(record.halves.size).toBe(2);
  });

  it("fails the first sendHalf of a faulted body with error, after storing the half or without it, and only that one", async () => {
    const halfFaults = new Map<string, HalfFault>([
      ["p1#1", "stored"],
      ["p1#2", "lost"],
    ]);
    const { ctx, record, p1, boot } = oracleWorld({ heartbeat: false, halfFaults });
    const replies = await simulate(ctx.world, async () => {
      await boot();
      const sent = [];
      for (const n of [1, 1, 2, 2, 3]) sent.push(await sendHalf(ctx, p1, half(n)));
      return sent.map((s) => s.op.output);
    });
    expect(replies).toEqual([
      { kind: "error", message: "the half store failed after the half was stored" },
      { halfOffset: 0 },
      { kind: "error", message: "the half store failed: nothing stored" },
      { halfOffset: 1 },
      { halfOffset: 2 },
    ]);
    expect([...record.halves.values()].map((h) => h.request.body)).toEqual(["p1#1", "p1#2", "p1#3"]);
    expect(ctx.history.nemesisSaid()).toEqual([
      "the half store stores the half of p1#1 at 0, then fails and answers error",
      "the half store fails the sendHalf of p1#2 (nothing stored) and answers error",
    ]);
  });

  it("answers noSuchHalf to a wrong transaction id or group, error to a decision it does not know, pending to unknown, and writes nothing", async () => {
    const { ctx, deployment, p1, boot } = oracleWorld({ heartbeat: false });
    const result = await simulate(ctx.world, async () => {
      await boot();
      await sendHalf(ctx, p1, half(2));
      const replies = [];
      for (const end of [
        { transactionId: "tx9", halfOffset: 0, decision: "commit" as const, fromCheck: false },
        { transactionId: "tx2", halfOffset: 0, decision: "commit" as const, fromCheck: false, group: "other" },
        { transactionId: "tx2", halfOffset: 5, decision: "commit" as const, fromCheck: false },
        { transactionId: "tx2", halfOffset: 0, decision: "" as "unknown", fromCheck: false },
        { transactionId: "tx2", halfOffset: 0, decision: "unknown" as const, fromCheck: false },
        { transactionId: "tx2", halfOffset: 0, decision: "rollback" as const, fromCheck: false },
      ])
        replies.push((await sendEnd(ctx, p1, end)).reply);
      return { replies, queues: [await deployment.readQueue(TOPIC, 0), await deployment.readQueue(TOPIC, 1)] };
    });
    expect(result.replies).toEqual([
      { kind: "noSuchHalf" },
      { kind: "noSuchHalf" },
      { kind: "noSuchHalf" },
      { kind: "error", message: "no such decision: " },
      { kind: "ok", outcome: "pending" },
      { kind: "ok", outcome: "rolledBack" },
    ]);
    expect(result.queues).toEqual([[], []]);
  });

  it("checks an unended half only once it is old enough on the broker's clock, only a live producer, until resolved", async () => {
    const checks: { atMs: number; node: string; check: CheckTransaction }[] = [];
    let answer: "unknown" | "commit" = "unknown";
    const w = oracleWorld({
      heartbeat: true,
      onCheck: (node, check) => {
        checks.push({ atMs: w.ctx.world.nowMs, node, check });
        void sendEnd(w.ctx, w.p1, {
          transactionId: check.transactionId,
          halfOffset: check.halfOffset,
          decision: answer,
          fromCheck: true,
        });
      },
    });
    const { ctx, deployment, p1, boot } = w;
    const result = await simulate(ctx.world, async () => {
      await boot();
      // Born a minute "ago" by a skewed producer clock: the broker's clock decides.
      const sent = await sendHalf(ctx, p1, half(3, { bornAtMs: -60_000 }));
      const storedAtMs = ctx.world.nowMs;
      await ctx.world.sleep(300);
      answer = "commit";
      await ctx.world.sleep(200);
      const checksAtCommit = checks.length;
      await ctx.world.sleep(300);
      return { sent: sent.halfOffset, storedAtMs, checksAtCommit, queue: await deployment.readQueue(TOPIC, 1) };
    });
    expect(result.sent).toBe(0);
    expect(checks.length).toBeGreaterThanOrEqual(3);
    expect(checks.length).toBe(result.checksAtCommit);
    for (const c of checks) expect(c.atMs - result.storedAtMs).toBeGreaterThanOrEqual(TIMING.transactionTimeoutMs);
    expect(checks.map((c) => c.check.checkTimes)).toEqual(checks.map((_, i) => i + 1));
    expect(deployment.checks.every((c) => c.live && c.target === "p1")).toBe(true);
    expect(result.queue.map((m) => m.body)).toEqual(["p1#3"]);
  });

  it("waits for a half's immunity, and sends no check while no producer of the group is live", async () => {
    const silent = oracleWorld({ heartbeat: false });
    await simulate(silent.ctx.world, async () => {
      await silent.boot();
      await sendHalf(silent.ctx, silent.p1, half(4));
      await silent.ctx.world.sleep(600);
    });
    expect(silent.deployment.checks).toEqual([]);

    const immune = oracleWorld({ heartbeat: true });
    const storedAtMs = await simulate(immune.ctx.world, async () => {
      await immune.boot();
      await sendHalf(immune.ctx, immune.p1, half(5, { checkImmunityMs: 450 }));
      const at = immune.ctx.world.nowMs;
      await immune.ctx.world.sleep(700);
      return at;
    });
    const first = immune.deployment.checks[0];
    expect(first?.atMs ?? 0).toBeGreaterThanOrEqual(storedAtMs + 450);
    expect(first?.check).toMatchObject({ type: "checkTransaction", group: GROUP, transactionId: "tx5", halfOffset: 0 });
  });
});

/** An in-memory half store for the stand-ins' tests. */
function memoryService(failCommit = false) {
  const halves = new Map<number, HalfMessage>();
  const done: string[] = [];
  const service: ServiceContext = {
    broker: {} as BrokerSide,
    resolutions: new Resolutions(),
    locks: new HalfLocks(),
    halves: {
      store: async () => ({ kind: "error", message: "unused" }),
      read: async (offset) => halves.get(offset) ?? null,
      commit: async (h) => {
        if (failCommit) throw new Error("disk full");
        done.push(`commit ${h.halfOffset}`);
      },
      rollback: async (h) => {
        done.push(`rollback ${h.halfOffset}`);
      },
    },
  };
  halves.set(0, {
    halfOffset: 0,
    transactionId: "tx",
    group: GROUP,
    producerId: "p1",
    topic: TOPIC,
    queueId: 0,
    key: "k",
    body: "b",
    bornAtMs: 0,
    storedAtMs: 0,
    checkImmunityMs: 0,
  });
  return { service, done };
}

const endRequest = (overrides: Partial<EndTransactionRequest>): EndTransactionRequest => ({
  type: "endTransaction",
  group: GROUP,
  transactionId: "tx",
  halfOffset: 0,
  decision: "commit",
  fromCheck: false,
  ...overrides,
});

describe("the stand-ins", () => {
  it("plain-end commits or rolls back the half it is asked to, records it, and checks the half's identity", async () => {
    const commit = memoryService();
    expect(await plainEnd(commit.service, endRequest({}))).toEqual({ kind: "ok", outcome: "committed" });
    expect(commit.service.resolutions.get(0)).toBe("committed");
    const rollback = memoryService();
    expect(await plainEnd(rollback.service, endRequest({ decision: "rollback" }))).toEqual({
      kind: "ok",
      outcome: "rolledBack",
    });
    expect([...commit.done, ...rollback.done]).toEqual(["commit 0", "rollback 0"]);

    const other = memoryService();
    expect(await plainEnd(other.service, endRequest({ decision: "unknown" }))).toEqual({
      kind: "ok",
      outcome: "pending",
    });
    expect(await plainEnd(other.service, endRequest({ transactionId: "tx9" }))).toEqual({ kind: "noSuchHalf" });
    expect(await plainEnd(other.service, endRequest({ group: "g9" }))).toEqual({ kind: "noSuchHalf" });
    expect(await plainEnd(other.service, endRequest({ halfOffset: 3 }))).toEqual({ kind: "noSuchHalf" });
    expect(other.done).toEqual([]);
    expect(other.service.resolutions.size).toBe(0);
  });

  it("plain-end replies error, and records nothing, when the commit throws", async () => {
    const failing = memoryService(true);
    expect(await plainEnd(failing.service, endRequest({}))).toEqual({ kind: "error", message: "disk full" });
    expect(failing.service.resolutions.size).toBe(0);
  });

  it("no-recovery recovers nothing", async () => {
    expect((await noRecovery({} as BrokerSide)).size).toBe(0);
  });

  it("the scripted producer records a half the broker refused as failed, and one sent while its node is down as failed", async () => {
    const ctx = context();
    const deployment = deployBroker(ctx, 1, () => oracleService(newOracleRecord()));
    const p1 = addScriptedProducer(ctx, "p1");
    const ops = await simulate(ctx.world, async () => {
      await startBroker(deployment);
      await p1.start();
      const refused = await sendHalf(ctx, p1, half(1, { queueId: 7 }));
      p1.crash();
      const down = await sendHalf(ctx, p1, half(2, { queueId: 0 }));
      return [refused.op, down.op].map((op) => [op.status, op.output ?? op.note]);
    });
    expect(ops).toEqual([
      ["fail", { kind: "noSuchTopic" }],
      ["fail", "the producer node was down"],
    ]);
    expect(ctx.world.node(BROKER).isUp).toBe(true);
  });
});

describe("assembleService (provided)", () => {
  /** A side with only an env: the parts below touch nothing else. */
  async function scans(checkOnce: (n: number, env: Env) => Promise<void>, forMs: number) {
    const world = new World({ seed: 1 });
    const node = world.addNode("broker", async (env) => {
      let n = 0;
      const parts = {
        storeHalf: async () => ({ kind: "error" as const, message: "unused" }),
        readHalf: async () => null,
        commitHalf: async () => {},
        rollbackHalf: async () => {},
        endTransaction: async () => ({ kind: "noSuchHalf" as const }),
        recoverResolutions: async () => new Resolutions(),
        checkOnce: async () => {
          await checkOnce(++n, env);
          return { checked: [], setAside: [], skippedOffline: [] };
        },
      };
      return assembleService({ env } as unknown as BrokerSide, parts);
    });
    const result = await world.run(async () => {
      await node.start();
      await world.sleep(forMs);
    });
    return result.labErrors;
  }

  it("scans every checkIntervalMs, never two at once, and goes on after an ordinary error", async () => {
    const started: number[] = [];
    let running = 0;
    let overlapped = false;
    const errors = await scans(
      async (n, env) => {
        started.push(n);
        overlapped ||= running > 0;
        running++;
        try {
          // Every other scan outlasts the interval; every third fails.
          if (n % 2 === 0) await env.clock.sleep(TIMING.checkIntervalMs * 1.5);
          if (n % 3 === 0) throw new Error("a half could not be read");
        } finally {
          running--;
        }
      },
      TIMING.checkIntervalMs * 10 + 1,
    );
    expect(errors).toEqual([]);
    expect(overlapped).toBe(false);
    expect(started.length).toBeGreaterThanOrEqual(5);
  });

  it("stops the run on a programming error in a scan", async () => {
    const errors = await scans(async () => {
      throw new TypeError("half is undefined");
    }, TIMING.checkIntervalMs * 3);
    expect(errors.map((e) => (e.error as Error).message)).toEqual(["half is undefined"]);
  });
});
