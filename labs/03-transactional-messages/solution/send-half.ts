/**
 * L3.B, the half: sent once. A reply that does not come in time leaves the outcome unknown, and a
 * second try cannot help: the broker appends every half it is sent, and nothing there deduplicates
 * halves by transaction id (neither does RocketMQ's TransactionalMessageBridge.putHalfMessage), so
 * a retry of a half that was stored after all makes two halves of one transaction, each checked and
 * each committed. Without an `ok`, the producer gives up on the message instead: no local
 * transaction runs, and a half stored all the same finds no outcome row when it is checked.
 */
import type { BrokerClient } from "#labs/shared/broker/client.ts";
import type { SendHalfRequest } from "#labs/shared/broker/protocol.ts";

export async function sendHalf(client: BrokerClient, half: SendHalfRequest): Promise<number | null> {
  const sent = await client.call(half);
  return sent.kind === "ok" && sent.reply.kind === "ok" ? sent.reply.halfOffset : null;
}
