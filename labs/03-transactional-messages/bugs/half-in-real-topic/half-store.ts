/**
 * Bug zoo, lab 03: THE HALF WRITTEN TO ITS REAL QUEUE, MARKED HIDDEN.
 *
 * The reference half store with two parts replaced: where a half is written, and what a commit
 * writes. "Why copy the message at commit? I write it to
 * its real queue at once, with a HIDDEN property, and keep a small half record pointing at it.
 * Committing only writes the op record; consumers skip hidden messages whose op has not arrived."
 *
 * But consumers do not skip anything: a queue delivers what it holds, to every consumer, and
 * nothing in a pull says which ops have arrived. The message is visible the moment the half is
 * stored, before the transaction has even run, and stays visible if it rolls back. RocketMQ keeps
 * the half out of the real topic altogether (RMQ_SYS_TRANS_HALF_TOPIC, which no consumer group
 * subscribes to) and writes the real message only on commit (EndTransactionProcessor).
 */
import { type BrokerSide, HALF_TOPIC, type NewMessage } from "#labs/03-transactional-messages/provided.ts";
import { halfOf, realMessageOf } from "../../solution/half-codec.ts";
import { halfStoreWith } from "../../solution/half-store-with.ts";
import { halfStoreParts } from "../../solution/parts.ts";

async function appendHalf(broker: BrokerSide, record: NewMessage): Promise<number> {
  const halfOffset = broker.store.bounds(HALF_TOPIC, 0).maxOffset;
  const half = halfOf({ ...record, queueOffset: halfOffset, properties: record.properties ?? {} });
  // The bug: the message goes to its real queue now, "hidden" by a property nobody reads.
  const hidden = realMessageOf(half, broker.env.clock.now());
  await broker.store.append({ ...hidden, properties: { ...hidden.properties, HIDDEN: "true" } });
  return broker.store.append(record);
}

async function appendReal(): Promise<void> {
  // The message is already in its queue: "unhiding" it is only the op record.
}

export const { storeHalf, readHalf, commitHalf, rollbackHalf } = halfStoreWith({
  ...halfStoreParts,
  appendHalf,
  appendReal,
});
