/**
 * Bug zoo, lab 03: THE HALF WRITTEN TO ITS REAL QUEUE, MARKED HIDDEN.
 *
 * The reference half store with one file replaced. "Why copy the message at commit? I write it to
 * its real queue at once, with a HIDDEN property, and keep a small half record pointing at it.
 * Committing only writes the op record; consumers skip hidden messages whose op has not arrived."
 *
 * But consumers do not skip anything: a queue delivers what it holds, to every consumer, and
 * nothing in a pull says which ops have arrived. The message is visible the moment the half is
 * stored, before the transaction has even run, and stays visible if it rolls back. RocketMQ keeps
 * the half out of the real topic altogether (RMQ_SYS_TRANS_HALF_TOPIC, which no consumer group
 * subscribes to) and writes the real message only on commit (EndTransactionProcessor).
 */
import {
  type BrokerSide,
  HALF_TOPIC,
  type HalfMessage,
  type SendHalfReply,
  type SendHalfRequest,
} from "#labs/03-transactional-messages/provided.ts";
import { halfOf, halfRecord, opRecordOf, realMessageOf } from "../../solution/half-codec.ts";

export async function storeHalf(
  broker: BrokerSide,
  producerId: string,
  request: SendHalfRequest,
): Promise<SendHalfReply> {
  try {
    const record = halfRecord(producerId, request, broker.env.clock.now());
    const halfOffset = broker.store.bounds(HALF_TOPIC, 0).maxOffset;
    const half = halfOf({ ...record, queueOffset: halfOffset, properties: record.properties ?? {} });
    // The bug: the message goes to its real queue now, "hidden" by a property nobody reads.
    const hidden = realMessageOf(half, broker.env.clock.now());
    await broker.store.append({ ...hidden, properties: { ...hidden.properties, HIDDEN: "true" } });
    return { kind: "ok", halfOffset: await broker.store.append(record) };
  } catch (error) {
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
}

export async function readHalf(broker: BrokerSide, halfOffset: number): Promise<HalfMessage | null> {
  if (!Number.isSafeInteger(halfOffset) || halfOffset < 0) return null;
  const [message] = await broker.store.read(HALF_TOPIC, 0, halfOffset, 1);
  return message === undefined ? null : halfOf(message);
}

export async function commitHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  // The message is already in its queue: "unhiding" it is only the op record.
  await broker.store.append(opRecordOf(half, "commit", broker.env.clock.now()));
}

export async function rollbackHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  await broker.store.append(opRecordOf(half, "rollback", broker.env.clock.now()));
}
