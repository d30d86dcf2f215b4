/**
 * The reference recovery (solution/recovery.ts) on a hand-built store: what each kind of record
 * comes to, the commit a crash cut in two finished once (its op written, so that the next start
 * finds it), and an unresolved half left to be checked. The L3.E workload shows it under crashes;
 * this shows each rule alone.
 */
import { describe, expect, it } from "vitest";
import {
  HALF_TOPIC,
  HalfLocks,
  type HalfMessage,
  type HalfStore,
  OP_TOPIC,
  SET_ASIDE_TOPIC,
  type ServiceContext,
} from "#labs/03-transactional-messages/provided.ts";
import { MemoryStore } from "#labs/shared/broker/store.ts";
import { halfOf, opRecordOf, realMessageOf } from "../solution/half-codec.ts";
import { storeHalf } from "../solution/half-store.ts";
import { recoverResolutions } from "../solution/recovery.ts";
import { setAside } from "../solution/set-aside.ts";
import { brokerSideOn, halfRequest } from "./hand-built.ts";

describe("the reference recovery", () => {
  it("reads ops, set-asides and real messages; finishes a commit cut in two, once", async () => {
    const store = new MemoryStore();
    const broker = brokerSideOn(store);
    const halves: HalfMessage[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await storeHalf(broker, "p1", halfRequest(i));
      if (reply.kind !== "ok") throw new Error("not stored");
      const [message] = await store.read(HALF_TOPIC, 0, reply.halfOffset, 1);
      if (message === undefined) throw new Error("not read");
      halves.push(halfOf(message));
    }
    const half = (i: number): HalfMessage => {
      const found = halves[i];
      if (found === undefined) throw new Error(`no half ${i}`);
      return found;
    };
    const [committed, rolledBack, cut, aside, open] = [half(0), half(1), half(2), half(3), half(4)];
    await store.append(realMessageOf(committed, 1));
    await store.append(opRecordOf(committed, "commit", 1));
    await store.append(opRecordOf(rolledBack, "rollback", 1));
    // A crash between a commit's two appends: the real message, no op.
    await store.append(realMessageOf(cut, 1));
    const resolutions = await recoverResolutions(broker);
    expect(resolutions.get(committed.halfOffset)).toBe("committed");
    expect(resolutions.get(rolledBack.halfOffset)).toBe("rolledBack");
    expect(resolutions.get(cut.halfOffset)).toBe("committed");
    expect(resolutions.get(open.halfOffset)).toBeUndefined();
    expect(store.bounds(OP_TOPIC, 0).maxOffset).toBe(3);

    // Set aside, then started again: the repaired op is found, nothing is written twice.
    const unused = async (): Promise<never> => {
      throw new Error("setAside does not touch the half store");
    };
    const halfStore: HalfStore = { store: unused, read: unused, commit: unused, rollback: unused };
    const service: ServiceContext = { broker, resolutions, halves: halfStore, locks: new HalfLocks() };
    expect(await setAside(service, aside, "no answer")).toBe(true);
    const again = await recoverResolutions(broker);
    expect(again.get(aside.halfOffset)).toBe("setAside");
    expect(again.get(cut.halfOffset)).toBe("committed");
    expect(again.get(open.halfOffset)).toBeUndefined();
    expect(store.bounds(OP_TOPIC, 0).maxOffset).toBe(3);
    expect(store.bounds(SET_ASIDE_TOPIC, 0).maxOffset).toBe(1);
  });
});
