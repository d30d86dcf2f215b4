/**
 * Long polling (arrivals.ts): a held pull is answered by the next append to its queue, or at the
 * end of its hold, never later than the broker's bound; a broker without the bound holds nothing.
 */
import { describe, expect, it } from "vitest";
import { envOf, simulate } from "#harness/sim/testing.ts";
import { World } from "#harness/sim/world.ts";
import type { Env, RequestOutcome } from "#lab";
import { type BrokerConfig, defaultBrokerConfig } from "./broker.ts";
import type { ReplyOf } from "./protocol.ts";
import { MemoryStore } from "./store.ts";
import { brokerWithClient } from "./test-broker.ts";

const topic = "orders";
const HOLD_MAX_MS = 30;

function ok<T>(outcome: RequestOutcome<T>): T {
  if (outcome.kind !== "ok") throw new Error("request timed out");
  return outcome.reply;
}

interface Pulled {
  reply: ReplyOf["pull"];
  /** How long the pull took, on the client's clock. */
  tookMs: number;
}

/**
 * Pulls queue 0 from offset 0 with `waitMs`; if `sendAfterMs` is set, a send to `sendQueueId`
 * starts that long after the pull did.
 */
async function pullWhile(
  config: BrokerConfig,
  waitMs: number | undefined,
  send?: { afterMs: number; queueId: number },
): Promise<Pulled> {
  const world = new World({ seed: 7 });
  const store = new MemoryStore();
  const { boot, client } = brokerWithClient(world, config, async () => store, "client");
  return simulate(world, async () => {
    const c = await boot();
    const env: Env = await envOf(client);
    const producerId = (ok(await c.call({ type: "initProducer" })) as { producerId: string }).producerId;
    const startedMs = env.clock.now();
    const request = { type: "pull", topic, queueId: 0, offset: 0, max: 10 } as const;
    const pulling = c.call(waitMs === undefined ? request : { ...request, waitMs });
    if (send !== undefined) {
      await env.clock.sleep(send.afterMs);
      ok(
        await c.call({ type: "send", topic, queueId: send.queueId, key: "k", body: "hello", producerId, sequence: 0 }),
      );
    }
    const reply = ok(await pulling);
    return { reply, tookMs: env.clock.now() - startedMs };
  });
}

const holding: BrokerConfig = { ...defaultBrokerConfig, topics: { [topic]: 2 }, pullHoldMaxMs: HOLD_MAX_MS };
const notHolding: BrokerConfig = { ...defaultBrokerConfig, topics: { [topic]: 2 } };

function bodies(reply: ReplyOf["pull"]): string[] {
  return reply.kind === "ok" ? reply.messages.map((m) => m.body) : [];
}

describe("broker: long polling", () => {
  it("answers a held pull as soon as a message arrives in its queue", async () => {
    const pulled = await pullWhile(holding, 25, { afterMs: 10, queueId: 0 });
    expect(bodies(pulled.reply)).toEqual(["hello"]);
    // Sent at 10 ms, stored, and the pull answered: well before the hold's 25 ms.
    expect(pulled.tookMs).toBeGreaterThanOrEqual(10);
    expect(pulled.tookMs).toBeLessThan(20);
  });

  it("answers empty at the hold's end when nothing arrives, and an append elsewhere does not wake it", async () => {
    const pulled = await pullWhile(holding, 25, { afterMs: 5, queueId: 1 });
    expect(pulled.reply).toMatchObject({ kind: "ok", messages: [], nextOffset: 0 });
    expect(pulled.tookMs).toBeGreaterThanOrEqual(25);
    expect(pulled.tookMs).toBeLessThan(30);
  });

  it("holds no longer than the broker's bound, whatever the pull asks", async () => {
    const pulled = await pullWhile(holding, 10_000);
    expect(pulled.reply).toMatchObject({ kind: "ok", messages: [] });
    expect(pulled.tookMs).toBeGreaterThanOrEqual(HOLD_MAX_MS);
    expect(pulled.tookMs).toBeLessThan(HOLD_MAX_MS + 6);
  });

  it("answers at once without waitMs, and on a broker that holds no pulls", async () => {
    for (const [config, waitMs] of [
      [holding, undefined],
      [notHolding, 25],
    ] as const) {
      const pulled = await pullWhile(config, waitMs);
      expect(pulled.reply).toMatchObject({ kind: "ok", messages: [] });
      expect(pulled.tookMs).toBeLessThan(6);
    }
  });
});
