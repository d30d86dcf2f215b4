/**
 * L3.A Half messages: stored durably where no consumer reads them, made visible only by a commit.
 *
 * RocketMQ's producer sends a transaction's message first as a "half" (TRAN_MSG): the broker
 * stores it, durably, under the system topic RMQ_SYS_TRANS_HALF_TOPIC, which no consumer group
 * subscribes to, and remembers where it really belongs. Only when the transaction commits does the
 * broker write the real message to its topic, where consumers see it; a rollback writes nothing
 * there. Either way an op record in RMQ_SYS_TRANS_OP_HALF_TOPIC marks the half as done, so that
 * nobody asks about it again.
 *
 * Assembled in half-store-with.ts: half-codec.ts says what each message looks like (pure),
 * half-io.ts appends them, awaiting every append (the store resolves once the message is durable).
 */
import type {
  BrokerSide,
  HalfMessage,
  SendHalfReply,
  SendHalfRequest,
} from "#labs/03-transactional-messages/provided.ts";
import { halfStoreWith } from "./half-store-with.ts";
import { halfStoreParts } from "./parts.ts";

const halfStore = halfStoreWith(halfStoreParts);

export function storeHalf(broker: BrokerSide, producerId: string, request: SendHalfRequest): Promise<SendHalfReply> {
  return halfStore.storeHalf(broker, producerId, request);
}

export function readHalf(broker: BrokerSide, halfOffset: number): Promise<HalfMessage | null> {
  return halfStore.readHalf(broker, halfOffset);
}

export function commitHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  return halfStore.commitHalf(broker, half);
}

export function rollbackHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  return halfStore.rollbackHalf(broker, half);
}
