/**
 * For unit tests of broker-side code on a hand-built store (no simulation): a BrokerSide whose
 * clock stands at 1 s, with no producers and no checks sent, and the sendHalf request of a
 * numbered transaction.
 */
import type { Env } from "#lab";
import { type BrokerSide, GROUP, type SendHalfRequest, TOPIC } from "#labs/03-transactional-messages/provided.ts";
import type { MemoryStore } from "#labs/shared/broker/store.ts";

export function brokerSideOn(store: MemoryStore): BrokerSide {
  const env = { clock: { now: () => 1_000 } } as unknown as Env;
  return {
    env,
    store,
    liveProducers: () => [],
    sendCheck: () => {},
    progress: { get: () => 0, set: () => {} },
  };
}

/** Transaction `tx<i>`'s half: key "k", body `b<i>`, queue 0 of TOPIC. */
export function halfRequest(i: number): SendHalfRequest {
  return {
    type: "sendHalf",
    group: GROUP,
    transactionId: `tx${i}`,
    topic: TOPIC,
    queueId: 0,
    key: "k",
    body: `b${i}`,
    bornAtMs: 0,
    checkImmunityMs: 0,
  };
}
