/**
 * The broker's transaction plumbing (transactions.ts), with a small in-test service: a map of
 * decisions, not lab 03's solution, so that these tests depend on the broker alone.
 */
import { describe, expect, it } from "vitest";
import { envOf, simulate } from "#harness/sim/testing.ts";
import { World } from "#harness/sim/world.ts";
import type { Env, RequestOutcome } from "#lab";
import { type BrokerConfig, defaultBrokerConfig } from "./broker.ts";
import { lab02Replies, lab02Script } from "./lab02-golden.ts";
import { openLogStore } from "./log-store.ts";
import type { CheckTransaction, EndTransactionRequest, SendHalfRequest } from "./protocol.ts";
import { MemoryStore, type MessageStore, serviceMessage } from "./store.ts";
import { brokerWithClient, openedSide } from "./test-broker.ts";
import { type BrokerSide, HALF_TOPIC, OP_TOPIC, SET_ASIDE_TOPIC, type TransactionsConfig } from "./transactions.ts";

const PRODUCER_SESSION_MS = 120;
const GROUP = "order-service";

/** What the test service saw, in order: its open and every request, with the broker's clock. */
interface Seen {
  side: BrokerSide | null;
  events: { atMs: number; what: string; producerId?: string }[];
  /** The properties of the halves its open found in the store's scan (what a recovery reads). */
  recovered: Record<string, string>[];
}

/**
 * A trivial transaction service: stores a half with its fields as properties, commits by appending
 * the real message and an op, rolls back with an op; decisions in a map. `openDelayMs` stretches
 * its open, as a long recovery would.
 */
function testService(seen: Seen, openDelayMs = 0): TransactionsConfig {
  return {
    producerSessionMs: PRODUCER_SESSION_MS,
    async open(side) {
      seen.side = side;
      seen.events.push({ atMs: side.env.clock.now(), what: "open" });
      const recovered: Record<string, string>[] = [];
      await side.store.scan((m) => {
        if (m.topic === HALF_TOPIC) recovered.push(m.properties);
      });
      seen.recovered = recovered;
      if (openDelayMs > 0) await side.env.clock.sleep(openDelayMs);
      seen.events.push({ atMs: side.env.clock.now(), what: "opened" });
      const decided = new Map<number, "committed" | "rolledBack">();
      const append = (topic: string, queueId: number, key: string, body: string, properties: Record<string, string>) =>
        side.store.append(serviceMessage({ topic, queueId, key, body }, side.env.clock.now(), properties));
      return {
        async sendHalf(producerId: string, request: SendHalfRequest) {
          seen.events.push({ atMs: side.env.clock.now(), what: "sendHalf", producerId });
          const halfOffset = await append(HALF_TOPIC, 0, request.key, request.body, {
            TX_ID: request.transactionId,
            REAL_TOPIC: request.topic,
            REAL_QID: String(request.queueId),
            PRODUCER: producerId,
          });
          return { kind: "ok", halfOffset };
        },
        async endTransaction(producerId: string, request: EndTransactionRequest) {
          seen.events.push({ atMs: side.env.clock.now(), what: "endTransaction", producerId });
          const earlier = decided.get(request.halfOffset);
          if (earlier !== undefined) return { kind: "alreadyResolved", outcome: earlier };
          const [half] = await side.store.read(HALF_TOPIC, 0, request.halfOffset, 1);
          if (half === undefined || half.properties.TX_ID !== request.transactionId) return { kind: "noSuchHalf" };
          if (request.decision === "unknown") return { kind: "ok", outcome: "pending" };
          const outcome = request.decision === "commit" ? "committed" : "rolledBack";
          decided.set(request.halfOffset, outcome);
          const topic = half.properties.REAL_TOPIC ?? "";
          if (outcome === "committed") await append(topic, Number(half.properties.REAL_QID), half.key, half.body, {});
          await append(OP_TOPIC, 0, "", request.decision, { HALF_OFFSET: String(request.halfOffset) });
          return { kind: "ok", outcome };
        },
      };
    },
  };
}

const base: BrokerConfig = { ...defaultBrokerConfig, topics: { orders: 2 } };

/** A broker (with or without the test service), a producer node p1 that records one-way messages, a client. */
function setup(options: { transactions?: boolean; logStore?: boolean; openDelayMs?: number; seed?: number } = {}) {
  const world = new World({ seed: options.seed ?? 1 });
  const seen: Seen = { side: null, events: [], recovered: [] };
  const config: BrokerConfig =
    options.transactions === false ? base : { ...base, transactions: testService(seen, options.openDelayMs) };
  const memory = new MemoryStore();
  const storeFor = async (env: Env): Promise<MessageStore> => (options.logStore === true ? openLogStore(env) : memory);
  const received: { from: string; message: unknown; incarnation: number }[] = [];
  const {
    broker,
    client: p1,
    connect,
    boot,
  } = brokerWithClient(world, config, storeFor, "p1", (env) => {
    env.net.onMessage((from, message) => received.push({ from, message, incarnation: env.incarnation }));
    return env;
  });
  const side = (): BrokerSide => openedSide(seen, "the service");
  return { world, broker, p1, connect, boot, seen, received, side };
}

function ok<T>(outcome: RequestOutcome<T>): T {
  if (outcome.kind !== "ok") throw new Error("request timed out");
  return outcome.reply;
}

const half = (key: string, queueId = 1): SendHalfRequest => ({
  type: "sendHalf",
  group: GROUP,
  transactionId: `tx-${key}`,
  topic: "orders",
  queueId,
  key,
  body: `body of ${key}`,
  bornAtMs: 0,
  checkImmunityMs: 0,
});

describe("broker transactions: message properties", () => {
  it("keeps properties through a pull, a crash, a power loss and the store's scan, and `send` stores none", async () => {
    const { world, broker, boot, seen } = setup({ logStore: true });
    const result = await simulate(world, async () => {
      const c = await boot();
      const stored = ok(await c.call(half("a")));
      const { producerId } = ok(await c.call({ type: "initProducer" }));
      await c.call({ type: "send", topic: "orders", queueId: 0, key: "k", body: "plain", producerId, sequence: 0 });
      const pull = async (topic: string, queueId: number) => {
        const reply = ok(await c.call({ type: "pull", topic, queueId, offset: 0, max: 10 }));
        return reply.kind === "ok" ? reply.messages.map((m) => m.properties) : reply.kind;
      };
      const pulled = await pull(HALF_TOPIC, 0);
      broker.crash();
      await broker.start();
      const afterCrash = await pull(HALF_TOPIC, 0);
      const recoveredAfterCrash = seen.recovered;
      broker.powerLoss();
      await broker.start();
      return {
        stored,
        pulled,
        afterCrash,
        recoveredAfterCrash,
        afterPowerLoss: await pull(HALF_TOPIC, 0),
        recoveredAfterPowerLoss: seen.recovered,
        plain: await pull("orders", 0),
      };
    });
    const properties = { TX_ID: "tx-a", REAL_TOPIC: "orders", REAL_QID: "1", PRODUCER: "p1" };
    expect(result).toEqual({
      stored: { kind: "ok", halfOffset: 0 },
      pulled: [properties],
      afterCrash: [properties],
      recoveredAfterCrash: [properties],
      afterPowerLoss: [properties],
      recoveredAfterPowerLoss: [properties],
      plain: [{}],
    });
  });

  it("keeps a property named like the store's own (KEYS, PID, SEQ) apart from the key, producer and sequence", async () => {
    const world = new World({ seed: 3 });
    const node = world.addNode<Env>("broker", (env) => env);
    const read = await simulate(world, async () => {
      await node.start();
      const store = await openLogStore(await envOf(node));
      const message = {
        topic: "t",
        queueId: 0,
        key: "real key",
        body: "b",
        producerId: "p",
        sequence: 4,
        storedAtMs: 0,
      };
      await store.append({ ...message, properties: { KEYS: "not the key", PID: "x", SEQ: "9" } });
      return store.read("t", 0, 0, 1);
    });
    expect(read).toEqual([
      {
        topic: "t",
        queueId: 0,
        queueOffset: 0,
        key: "real key",
        body: "b",
        producerId: "p",
        sequence: 4,
        storedAtMs: expect.any(Number),
        properties: { KEYS: "not the key", PID: "x", SEQ: "9" },
      },
    ]);
  });
});

describe("broker transactions: lab 02 unchanged", () => {
  for (const transactions of [false, true]) {
    it(`answers every lab 02 request as before ${transactions ? "with" : "without"} a transaction service`, async () => {
      const { world, boot } = setup({ transactions });
      const replies = await simulate(world, async () => {
        return lab02Script(await boot());
      });
      expect(replies).toEqual(lab02Replies);
    });
  }
});

describe("broker transactions: system topics and routing", () => {
  it("refuses `send` to each system topic and serves `pull` of it; no client reads or moves the progress group", async () => {
    const { world, boot } = setup();
    const seen = await simulate(world, async () => {
      const c = await boot();
      const { producerId } = ok(await c.call({ type: "initProducer" }));
      const refused = [];
      for (const topic of [HALF_TOPIC, OP_TOPIC, SET_ASIDE_TOPIC]) {
        refused.push(
          ok(await c.call({ type: "send", topic, queueId: 0, key: "k", body: "b", producerId, sequence: -1 })),
        );
      }
      ok(await c.call(half("a")));
      const pulls = [];
      for (const topic of [HALF_TOPIC, OP_TOPIC, SET_ASIDE_TOPIC]) {
        const reply = ok(await c.call({ type: "pull", topic, queueId: 0, offset: 0, max: 10 }));
        pulls.push(reply.kind === "ok" ? reply.messages.length : reply.kind);
      }
      const otherQueue = ok(await c.call({ type: "pull", topic: HALF_TOPIC, queueId: 1, offset: 0, max: 10 })).kind;
      const progressGroup = "CID_RMQ_SYS_TRANS";
      const query = ok(await c.call({ type: "queryOffset", group: progressGroup, topic: "orders", queueId: 0 }));
      const commit = ok(
        await c.call({
          type: "commitOffset",
          group: progressGroup,
          topic: "orders",
          queueId: 0,
          consumerId: "x",
          offset: 3,
          token: 9,
        }),
      );
      return { refused, pulls, otherQueue, query, commit };
    });
    expect(seen).toEqual({
      refused: [{ kind: "noSuchTopic" }, { kind: "noSuchTopic" }, { kind: "noSuchTopic" }],
      pulls: [1, 0, 0],
      otherQueue: "noSuchTopic",
      query: { kind: "noSuchTopic" },
      commit: { kind: "noSuchTopic" },
    });
  });

  it("routes sendHalf and endTransaction to the service with the sender as producerId; refuses a half for a missing queue", async () => {
    const { world, boot, seen } = setup();
    const replies = await simulate(world, async () => {
      const c = await boot();
      const stored = ok(await c.call(half("a")));
      const end = (decision: EndTransactionRequest["decision"], transactionId = "tx-a") =>
        c.call({ type: "endTransaction", group: GROUP, transactionId, halfOffset: 0, decision, fromCheck: false });
      return [
        stored,
        ok(await c.call(half("b", 7))),
        ok(await c.call({ ...half("c"), topic: HALF_TOPIC, queueId: 0 })),
        ok(await end("commit", "tx-other")),
        ok(await end("commit")),
        ok(await end("rollback")),
      ];
    });
    expect(replies).toEqual([
      { kind: "ok", halfOffset: 0 },
      { kind: "noSuchTopic" },
      { kind: "noSuchTopic" },
      { kind: "noSuchHalf" },
      { kind: "ok", outcome: "committed" },
      { kind: "alreadyResolved", outcome: "committed" },
    ]);
    expect(
      seen.events.filter((e) => e.what !== "open" && e.what !== "opened").map((e) => [e.what, e.producerId]),
    ).toEqual([
      ["sendHalf", "p1"],
      ["endTransaction", "p1"],
      ["endTransaction", "p1"],
      ["endTransaction", "p1"],
    ]);
  });

  it("answers sendHalf and endTransaction with noSuchTopic when no service is configured", async () => {
    const { world, boot } = setup({ transactions: false });
    const replies = await simulate(world, async () => {
      const c = await boot();
      return [
        ok(await c.call(half("a"))),
        ok(
          await c.call({
            type: "endTransaction",
            group: GROUP,
            transactionId: "tx-a",
            halfOffset: 0,
            decision: "commit",
            fromCheck: false,
          }),
        ),
        ok(await c.call({ type: "producerHeartbeat", group: GROUP })),
        ok(await c.call({ type: "pull", topic: HALF_TOPIC, queueId: 0, offset: 0, max: 1 })),
      ];
    });
    expect(replies).toEqual([
      { kind: "noSuchTopic" },
      { kind: "noSuchTopic" },
      { kind: "ok" },
      { kind: "noSuchTopic" },
    ]);
  });
});

describe("broker transactions: what the service is given", () => {
  it("counts a producer live for producerSessionMs of the broker's clock after its heartbeat, and not a millisecond longer", async () => {
    const { world, broker, boot, side } = setup();
    const seen = await simulate(world, async () => {
      await boot();
      const heartbeat = (from: string) =>
        broker.invoke((b) => b.handle(from, { type: "producerHeartbeat", group: GROUP }));
      await heartbeat("p2");
      await heartbeat("p1");
      const both = side().liveProducers(GROUP);
      const other = side().liveProducers("another-group");
      await world.sleep(PRODUCER_SESSION_MS);
      const atTheEnd = side().liveProducers(GROUP);
      await world.sleep(1);
      return { both, other, atTheEnd, after: side().liveProducers(GROUP) };
    });
    expect(seen).toEqual({ both: ["p1", "p2"], other: [], atTheEnd: ["p1", "p2"], after: [] });
  });

  it("goes by the broker's clock: a producer skewed a minute either way is live exactly as long", async () => {
    for (const skewMs of [-60_000, 60_000]) {
      const { world, p1, boot, side } = setup();
      const seen = await simulate(world, async () => {
        const c = await boot();
        p1.skewClock(skewMs);
        const sentAtMs = side().env.clock.now();
        ok(await c.call({ type: "producerHeartbeat", group: GROUP }));
        const repliedAtMs = side().env.clock.now();
        const live: number[] = [];
        // Sample every millisecond until well past the session, on the broker's clock.
        for (let t = 0; t < PRODUCER_SESSION_MS + 20; t++) {
          if (side().liveProducers(GROUP).includes("p1")) live.push(side().env.clock.now());
          await world.sleep(1);
        }
        return { sentAtMs, repliedAtMs, lastLiveMs: Math.max(...live), first: live[0] };
      });
      // The heartbeat arrived between the send and the reply; liveness lasts sessionMs from then.
      expect(seen.first, `skew ${skewMs}`).toBe(seen.repliedAtMs);
      expect(seen.lastLiveMs, `skew ${skewMs}`).toBeGreaterThanOrEqual(seen.sentAtMs + PRODUCER_SESSION_MS);
      expect(seen.lastLiveMs, `skew ${skewMs}`).toBeLessThanOrEqual(seen.repliedAtMs + PRODUCER_SESSION_MS);
    }
  });

  it("delivers a check one-way to a live node, and nothing to a node that is down", async () => {
    const { world, p1, boot, side, received } = setup();
    const check = (halfOffset: number): CheckTransaction => ({
      type: "checkTransaction",
      group: GROUP,
      transactionId: `tx-${halfOffset}`,
      halfOffset,
      checkTimes: 1,
    });
    await simulate(world, async () => {
      await boot();
      side().sendCheck("p1", check(0));
      await world.sleep(20);
      p1.crash();
      side().sendCheck("p1", check(1));
      await world.sleep(20);
      await p1.start();
      await world.sleep(20);
    });
    expect(received).toEqual([{ from: "broker", message: check(0), incarnation: 1 }]);
  });

  it("keeps progress across a restart once persisted; a crash may set it back to the last persist, never forward", async () => {
    const { world, broker, boot, side, seen } = setup({ logStore: true });
    const persistMs = base.offsetPersistIntervalMs;
    const values = await simulate(world, async () => {
      await boot();
      const fresh = side().progress.get("half-scan");
      side().progress.set("half-scan", 5);
      side().progress.set("checks:3", 2);
      // Half an interval off the persist ticks, so that the crash below cannot race one.
      await world.sleep(persistMs * 3.5);
      side().progress.set("half-scan", 9);
      broker.crash();
      await broker.start();
      const afterCrash = [side().progress.get("half-scan"), side().progress.get("checks:3")];
      side().progress.set("half-scan", 12);
      await world.sleep(persistMs * 3.5);
      broker.powerLoss();
      await broker.start();
      const afterPowerLoss = side().progress.get("half-scan");
      return { fresh, afterCrash, afterPowerLoss, opens: seen.events.filter((e) => e.what === "open").length };
    });
    expect(values).toEqual({ fresh: 0, afterCrash: [5, 2], afterPowerLoss: 12, opens: 3 });
  });

  it("refuses a progress value that is not a whole number >= 0", async () => {
    const { world, broker, side } = setup();
    const errors = await simulate(world, async () => {
      await broker.start();
      return [-1, 1.5, Number.NaN].map((value) => {
        try {
          side().progress.set("x", value);
          return "accepted";
        } catch (error) {
          return error instanceof RangeError ? "refused" : "other";
        }
      });
    });
    expect(errors).toEqual(["refused", "refused", "refused"]);
  });

  it("serves nothing before the service's open (its recovery) has resolved", async () => {
    const { world, broker, p1, connect, seen } = setup({ openDelayMs: 60 });
    const result = await simulate(world, async () => {
      void broker.start();
      await p1.start();
      await world.sleep(5);
      const c = await connect(20);
      const during = await c.call(half("a"));
      const duringPlain = await c.call({ type: "route", topic: "orders" });
      await world.sleep(60);
      const after = await c.call(half("b"));
      return { during: during.kind, duringPlain: duringPlain.kind, after };
    });
    expect(result).toEqual({
      during: "maybe",
      duringPlain: "maybe",
      after: { kind: "ok", reply: { kind: "ok", halfOffset: 0 } },
    });
    const opened = seen.events.find((e) => e.what === "opened")?.atMs ?? Number.POSITIVE_INFINITY;
    const requests = seen.events.filter((e) => e.what === "sendHalf");
    expect(requests).toHaveLength(1);
    expect(requests.every((e) => e.atMs >= opened)).toBe(true);
  });
});
