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
 */
import { crc32, utf8 } from "#lab";
import {
  encodeProperties,
  type MessageRecord,
  RECORD_MAGIC,
  RECORD_OVERHEAD_BYTES,
  setU64,
} from "#labs/01-log-storage/provided.ts";

// Not part of the bug: the end marker and the decoder are the reference's.
export { decodeRecord, encodeEndMarker } from "../../solution/record.ts";

export function encodeRecord(record: MessageRecord): Uint8Array {
  const topic = utf8(record.topic);
  const properties = utf8(encodeProperties(record.properties));
  const totalSize = RECORD_OVERHEAD_BYTES + record.body.length + topic.length + properties.length;
  const bytes = new Uint8Array(totalSize);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, totalSize);
  view.setUint32(4, RECORD_MAGIC);
  view.setUint32(12, record.queueId);
  setU64(view, 16, record.queueOffset);
  setU64(view, 24, record.physicalOffset);
  setU64(view, 32, record.bornTimestamp);
  setU64(view, 40, record.storeTimestamp);
  view.setUint32(48, record.body.length);
  bytes.set(record.body, 52);
  let at = 52 + record.body.length;
  // The bug: the lengths go into their fields whether they fit or not.
  view.setUint8(at, topic.length);
  bytes.set(topic, at + 1);
  at += 1 + topic.length;
  view.setUint16(at, properties.length);
  bytes.set(properties, at + 2);
  view.setUint32(8, crc32(bytes.subarray(12)));
  return bytes;
}
