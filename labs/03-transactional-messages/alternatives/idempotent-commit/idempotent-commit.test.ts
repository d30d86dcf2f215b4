/**
 * What no part's plan reaches (no plan fails an append without crashing the broker): this
 * alternative's end handler after a commit that failed half way, and its recovery writing
 * nothing. On a hand-built store, with a half store whose commit appends the real message and
 * then throws, as a write error on the op record would.
 */
import { describe, expect, it } from "vitest";
import {
  type BrokerSide,
  GROUP,
  HALF_OFFSET,
  HalfLocks,
  type HalfMessage,
  type HalfStore,
  OP_TOPIC,
  OUTCOME,
  Resolutions,
  type ServiceContext,
  TOPIC,
  TX_ID,
} from "#labs/03-transactional-messages/provided.ts";
import { MemoryStore } from "#labs/shared/broker/store.ts";
import { brokerSideOn, halfRequest } from "../../tests/hand-built.ts";
import { endTransaction } from "./end-transaction.ts";
import { readHalf, rollbackHalf, storeHalf } from "./half-store.ts";
import { recoverResolutions } from "./recovery.ts";

/** A half store whose commit writes the real message, then fails before its op record. */
function failingCommits(broker: BrokerSide): HalfStore {
  return {
    store: (producerId, request) => storeHalf(broker, producerId, request),
    read: (halfOffset) => readHalf(broker, halfOffset),
    commit: async (half: HalfMessage) => {
      await broker.store.append({
        topic: half.topic,
        queueId: half.queueId,
        key: half.key,
        body: half.body,
        producerId: "",
        sequence: -1,
        storedAtMs: 1_000,
        properties: { [TX_ID]: half.transactionId, [HALF_OFFSET]: String(half.halfOffset) },
      });
      throw new Error("EIO on the op record");
    },
    rollback: (half) => rollbackHalf(broker, half),
  };
}

/** A fresh store, and a service on it whose commits fail half way. */
function serviceOnNewStore(): { store: MemoryStore; broker: BrokerSide; service: ServiceContext } {
  const store = new MemoryStore();
  const broker = brokerSideOn(store);
  const service = { broker, resolutions: new Resolutions(), halves: failingCommits(broker), locks: new HalfLocks() };
  return { store, broker, service };
}

async function half(broker: BrokerSide, i: number): Promise<number> {
  const reply = await storeHalf(broker, "p1", halfRequest(i));
  if (reply.kind !== "ok") throw new Error("not stored");
  return reply.halfOffset;
}

const end = (halfOffset: number, i: number, decision: "commit" | "rollback" | "unknown") =>
  ({ type: "endTransaction", group: GROUP, transactionId: `tx${i}`, halfOffset, decision, fromCheck: false }) as const;

describe("idempotent-commit, off the graded paths", () => {
  it("never writes a half's message twice after a commit failed half way, and refuses to roll it back", async () => {
    const { store, broker, service } = serviceOnNewStore();
    const [h0, h1] = [await half(broker, 0), await half(broker, 1)];
    expect((await endTransaction(service, end(h0, 0, "commit"))).kind).toBe("error");
    expect(await endTransaction(service, end(h0, 0, "commit"))).toEqual({ kind: "ok", outcome: "committed" });
    expect((await endTransaction(service, end(h1, 1, "commit"))).kind).toBe("error");
    expect(await endTransaction(service, end(h1, 1, "rollback"))).toEqual({
      kind: "alreadyResolved",
      outcome: "committed",
    });
    expect(store.bounds(TOPIC, 0).maxOffset).toBe(2);
    const ops = await store.read(OP_TOPIC, 0, 0, 10);
    expect(ops.map((op) => [op.properties[HALF_OFFSET], op.properties[OUTCOME]])).toEqual([
      [String(h0), "commit"],
      [String(h1), "commit"],
    ]);
  });

  it("recovers a real message without its op record as committed, writing nothing", async () => {
    const { store, broker, service } = serviceOnNewStore();
    const [cut, open] = [await half(broker, 0), await half(broker, 1)];
    expect((await endTransaction(service, end(cut, 0, "commit"))).kind).toBe("error");
    const resolutions = await recoverResolutions(broker);
    expect(resolutions.get(cut)).toBe("committed");
    expect(resolutions.get(open)).toBeUndefined();
    expect(store.bounds(OP_TOPIC, 0).maxOffset).toBe(0);
  });
});
