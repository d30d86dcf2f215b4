/**
 * L3.E, reading what the store says about halves, in one pass over every queue (`store.scan`):
 * op records (OP_TOPIC: "commit" or "rollback" for a half offset), set-asides (SET_ASIDE_TOPIC),
 * and which halves already have their real message (a real message carries HALF_OFFSET, and
 * TX_ID). One pass, so the cost grows with the number of messages. It reads only the properties
 * the contract names, never a half's own encoding: any half store's records will do.
 */
import {
  type BrokerSide,
  HALF_OFFSET,
  HALF_TOPIC,
  OP_TOPIC,
  OUTCOME,
  type Resolution,
  SET_ASIDE_TOPIC,
  TX_ID,
} from "#labs/03-transactional-messages/provided.ts";

export interface StoreIndex {
  /** What op records and set-asides say, by half offset. */
  decided: Map<number, Resolution>;
  /** Half offsets whose real message is in a real queue, with their transaction ids. */
  delivered: Map<number, string>;
}

export async function readStoreIndex(broker: BrokerSide): Promise<StoreIndex> {
  const index: StoreIndex = { decided: new Map(), delivered: new Map() };
  await broker.store.scan((message) => {
    const named = message.properties[HALF_OFFSET];
    if (named === undefined || message.topic === HALF_TOPIC) return;
    const halfOffset = Number(named);
    if (message.topic === OP_TOPIC) {
      index.decided.set(halfOffset, message.properties[OUTCOME] === "commit" ? "committed" : "rolledBack");
    } else if (message.topic === SET_ASIDE_TOPIC) index.decided.set(halfOffset, "setAside");
    else index.delivered.set(halfOffset, message.properties[TX_ID] ?? "");
  });
  return index;
}
