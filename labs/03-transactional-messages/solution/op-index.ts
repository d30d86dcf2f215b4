/**
 * L3.E, reading what the store says about halves, in one pass over every queue (`store.scan`):
 * op records (OP_TOPIC: "commit" or "rollback" for a half offset), set-asides (SET_ASIDE_TOPIC),
 * the halves themselves (HALF_TOPIC), and which halves already have their real message (a real
 * message carries HALF_OFFSET). One pass, so the cost grows with the number of messages.
 */
import {
  type BrokerSide,
  HALF_OFFSET,
  HALF_TOPIC,
  type HalfMessage,
  OP_TOPIC,
  OUTCOME,
  type Resolution,
  SET_ASIDE_TOPIC,
} from "#labs/03-transactional-messages/provided.ts";
import { halfOf } from "./half-codec.ts";

export interface StoreIndex {
  /** What op records and set-asides say, by half offset. */
  decided: Map<number, Resolution>;
  /** Every half, by offset. */
  halves: Map<number, HalfMessage>;
  /** Half offsets whose real message is in a real queue. */
  delivered: Set<number>;
}

export async function readStoreIndex(broker: BrokerSide): Promise<StoreIndex> {
  const index: StoreIndex = { decided: new Map(), halves: new Map(), delivered: new Set() };
  await broker.store.scan((message) => {
    const halfOffset = Number(message.properties[HALF_OFFSET]);
    if (message.topic === HALF_TOPIC) index.halves.set(message.queueOffset, halfOf(message));
    else if (message.topic === OP_TOPIC) {
      index.decided.set(halfOffset, message.properties[OUTCOME] === "commit" ? "committed" : "rolledBack");
    } else if (message.topic === SET_ASIDE_TOPIC) index.decided.set(halfOffset, "setAside");
    else if (message.properties[HALF_OFFSET] !== undefined) index.delivered.add(halfOffset);
  });
  return index;
}
