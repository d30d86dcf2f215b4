/**
 * L3.A, the appends: a half is stored, read back, committed or rolled back through the broker's
 * store, and each append is awaited, because `append` resolves only once the message is durable.
 * That await is the whole durability argument: a reply sent after it can never name a message a
 * power cut takes back.
 *
 * A commit is two appends, the real message first and the op record second. In that order, a crash
 * between them leaves a delivered message whose half looks unresolved (recovery, L3.E, repairs
 * it); in the other order it would leave a half marked committed whose message never reaches
 * anyone, which nothing could repair.
 */
import {
  type BrokerSide,
  HALF_TOPIC,
  type HalfMessage,
  type SendHalfReply,
  type SendHalfRequest,
} from "#labs/03-transactional-messages/provided.ts";
import { halfOf, halfRecord, opRecordOf, realMessageOf } from "./half-codec.ts";

export async function storeHalf(
  broker: BrokerSide,
  producerId: string,
  request: SendHalfRequest,
): Promise<SendHalfReply> {
  try {
    const halfOffset = await broker.store.append(halfRecord(producerId, request, broker.env.clock.now()));
    return { kind: "ok", halfOffset };
  } catch (error) {
    // Whether the half reached the disk is unknown: the producer must treat it as unknown too.
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
}

export async function readHalf(broker: BrokerSide, halfOffset: number): Promise<HalfMessage | null> {
  if (!Number.isSafeInteger(halfOffset) || halfOffset < 0) return null;
  const [message] = await broker.store.read(HALF_TOPIC, 0, halfOffset, 1);
  return message === undefined ? null : halfOf(message);
}

export async function commitHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  await broker.store.append(realMessageOf(half, broker.env.clock.now()));
  await broker.store.append(opRecordOf(half, "commit", broker.env.clock.now()));
}

export async function rollbackHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  await broker.store.append(opRecordOf(half, "rollback", broker.env.clock.now()));
}
