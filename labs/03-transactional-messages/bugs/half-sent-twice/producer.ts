/**
 * Bug zoo, lab 03: AN UNANSWERED HALF IS SENT AGAIN.
 *
 * The reference producer, except that a half whose reply does not come in time is sent again with
 * the same transaction id, three tries in all, before the producer gives up with HalfNotStored:
 * "the request timed out, so retry it, as every client library does; the transaction id is the
 * same, so the broker can tell it is a retry".
 *
 * It cannot: this lab's half store (like RocketMQ's putHalfMessage) appends every half it is sent,
 * and nothing deduplicates halves by transaction id. The first half was stored and only its reply
 * was lost, so the retry stores a second half of the same transaction. Each is checked, each check
 * is answered "commit" from the database, and the message is delivered twice. L3.B's broker happens
 * to keep one half per transaction id (it must, because the network duplicates packets), so the
 * grader counts the sendHalf requests as they leave the producer.
 *
 * The fix: send the half once. No reply means the outcome is unknown: reject with HalfNotStored and
 * run no local transaction; if the half was stored after all, its check finds no outcome row and
 * claims a rollback.
 */
import type { BrokerClient } from "#labs/shared/broker/client.ts";
import type { SendHalfRequest } from "#labs/shared/broker/protocol.ts";
import { producerParts } from "../../solution/parts.ts";
import { openProducerWith } from "../../solution/producer-with.ts";

async function sendHalf(client: BrokerClient, half: SendHalfRequest): Promise<number | null> {
  // The bug: an unanswered half is sent again, with the same transaction id, up to three times.
  let sent = await client.call(half);
  for (let attempt = 1; attempt < 3 && sent.kind !== "ok"; attempt++) sent = await client.call(half);
  return sent.kind === "ok" && sent.reply.kind === "ok" ? sent.reply.halfOffset : null;
}

export const openTransactionalProducer = openProducerWith({ ...producerParts, sendHalf });
