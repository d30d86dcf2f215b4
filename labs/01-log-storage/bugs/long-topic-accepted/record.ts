/**
 * Bug zoo, lab 01: AN ENCODER THAT TRUSTS ITS LENGTH FIELDS.
 *
 * encodeRecord measures the topic and the properties, and writes their lengths into the header's
 * one-byte and two-byte fields without asking whether they fit. DataView does not refuse a value
 * too big for its field: it keeps the low bits. A 300-byte topic is written with a length byte of
 * 44, the CRC is computed over those very bytes, and the record "verifies" perfectly while saying
 * something else than was meant: the decoder reads a 44-byte topic and finds the lengths inside do
 * not add up, and the message is unreadable. An empty topic, which the format forbids, goes through
 * too, and so does a queue id of 2^32, written as 0. RocketMQ refuses such messages before they
 * reach the store (`MessageExtEncoder` checks the topic length against its one-byte field,
 * `TopicValidator` the topic itself, and the body and properties against their limits).
 *
 * The layout itself, the end marker and the decoder are the reference's.
 */
import { utf8 } from "#lab";
import { encodeProperties, type MessageRecord } from "#labs/01-log-storage/provided.ts";
import { layOutRecord } from "../../solution/record.ts";

export { decodeRecord, encodeEndMarker } from "../../solution/record.ts";

export function encodeRecord(record: MessageRecord): Uint8Array {
  const topic = utf8(record.topic);
  const properties = utf8(encodeProperties(record.properties));
  // The bug: the lengths go into their fields whether they fit or not.
  return layOutRecord(record, topic, properties);
}
