/**
 * Bug zoo, lab 03: THE END ACKNOWLEDGED BEFORE ITS APPENDS ARE DURABLE.
 *
 * The reference half store with one file replaced: committing and rolling back start their
 * appends and return at once. "The store has them queued; it flushes every few milliseconds
 * anyway, and the end request should not wait on the disk." The broker then acknowledges the
 * commit while the real message is only in the page cache, and a power cut in those milliseconds
 * takes it away: the producer was told "committed", and no consumer ever sees the message.
 * RocketMQ's broker answers END_TRANSACTION only after putMessage of the final message returns,
 * and with SYNC_FLUSH that means on disk; here `append` resolves once the message is durable, and
 * a reply may be sent only after that.
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
    const halfOffset = await broker.store.append(halfRecord(producerId, request, broker.env.clock.now()));
    return { kind: "ok", halfOffset };
  } catch (error) {
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
}

export async function readHalf(broker: BrokerSide, halfOffset: number): Promise<HalfMessage | null> {
  if (!Number.isSafeInteger(halfOffset) || halfOffset < 0) return null;
  const [message] = await broker.store.read(HALF_TOPIC, 0, halfOffset, 1);
  return message === undefined ? null : halfOf(message);
}

/** Starts an append and does not wait for it ("it is queued"). */
function appendLater(broker: BrokerSide, message: Parameters<BrokerSide["store"]["append"]>[0]): void {
  broker.store
    .append(message)
    .catch((error: unknown) => broker.env.log.warn({ error: String(error) }, "append failed"));
}

export async function commitHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  // The bug: neither append is awaited; the reply goes out before either is durable.
  appendLater(broker, realMessageOf(half, broker.env.clock.now()));
  appendLater(broker, opRecordOf(half, "commit", broker.env.clock.now()));
}

export async function rollbackHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  appendLater(broker, opRecordOf(half, "rollback", broker.env.clock.now()));
}
