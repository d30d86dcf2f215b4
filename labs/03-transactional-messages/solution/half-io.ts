/**
 * L3.A, the appends: each is awaited, because `append` resolves only once the message is durable.
 * That await is the whole durability argument: a reply sent after it can never name a message a
 * power cut takes back.
 */
import type { BrokerSide, NewMessage } from "#labs/03-transactional-messages/provided.ts";

export function appendHalf(broker: BrokerSide, record: NewMessage): Promise<number> {
  return broker.store.append(record);
}

export async function appendDurably(broker: BrokerSide, message: NewMessage): Promise<void> {
  await broker.store.append(message);
}
