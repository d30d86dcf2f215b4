/**
 * Lab 01 reference solution, part A: the record format.
 *
 * Every message the log stores is one record: a fixed header, then the variable parts. A record
 * is written once, at a position that never changes, and is read back by whoever knows that
 * position (its physical offset). Nothing else in the log tells a reader where a record ends or
 * whether its bytes are the ones that were written, so the record must say both by itself.
 *
 * The layout (integers big-endian, as RocketMQ's `MessageExtEncoder` and Kafka's record batches
 * write them; u64 fields hold whole numbers below 2^53):
 *
 *     offset  bytes  field
 *          0      4  totalSize       bytes of the whole record, this field included
 *          4      4  magic           RECORD_MAGIC ("MSG1")
 *          8      4  crc             CRC-32 of every byte after this field: [12, totalSize)
 *         12      4  queueId
 *         16      8  queueOffset     the record's position in its consume queue (0, 1, 2, ...)
 *         24      8  physicalOffset  the record's own position in the log, written into it
 *         32      8  bornTimestamp   when the producer made it (ms since the epoch)
 *         40      8  storeTimestamp  when the log stored it
 *         48      4  bodyLength, then the body
 *          .      1  topicLength, then the topic (UTF-8)
 *          .      2  propertiesLength, then the properties ("key\u0001value\u0002" ...)
 *
 * A segment that cannot hold the next record ends with an end marker: totalSize (the bytes left
 * in the segment) and END_MAGIC, eight bytes in all. RocketMQ calls it the blank message
 * (`BLANK_MAGIC_CODE` in `CommitLog.java`).
 *
 * Why each field is there:
 * - totalSize comes first so that a reader, and recovery, can step from one record to the next.
 * - magic tells a record from an end marker, and from zeros or stale bytes.
 * - crc tells a whole, intact record from a torn one (a power cut mid-write) or from a read that
 *   came back with a flipped bit. It covers the header fields after it, not only the body: a
 *   flipped bit in queueOffset would send a consumer to the wrong place as surely as one in the
 *   body would hand it the wrong payload. Here we depart from RocketMQ, whose BODYCRC covers the
 *   body alone, and follow Kafka, whose batch CRC covers everything after the CRC field
 *   (`DefaultRecordBatch.java`).
 * - physicalOffset lets a reader check that the record it decoded is the one it asked for, and
 *   not a valid record at some other position (a misdirected read, a stale index entry).
 *
 * Decoding never throws on bad bytes: it says why they are not a record. The bytes come from the
 * disk, and anything can come from the disk.
 */
import { crc32, fromUtf8, utf8 } from "#lab";
import {
  type DecodeResult,
  decodeProperties,
  END_MAGIC,
  END_MARKER_BYTES,
  encodeProperties,
  getU64,
  type MessageRecord,
  PROPERTIES_BYTES_MAX,
  RECORD_MAGIC,
  RECORD_OVERHEAD_BYTES,
  setU64,
  TOPIC_BYTES_MAX,
} from "#labs/01-log-storage/provided.ts";

const OFFSET_CRC = 8;
const OFFSET_COVERED = 12;
const OFFSET_BODY_LENGTH = 48;
const OFFSET_BODY = 52;

/** The bytes of `record`, ready to be written at `record.physicalOffset`. */
export function encodeRecord(record: MessageRecord): Uint8Array {
  const topic = utf8(record.topic);
  const properties = utf8(encodeProperties(record.properties));
  // Check on the way in, so that nothing the decoder would reject ever reaches the disk.
  checkFieldsFit(record.queueId, topic, properties);
  return layOutRecord(record, topic, properties);
}

/**
 * Throws RangeError unless each value fits its field. DataView would not refuse one: it keeps the
 * low bits, and the CRC, computed over those very bytes, would then vouch for a wrong record.
 */
export function checkFieldsFit(queueId: number, topic: Uint8Array, properties: Uint8Array): void {
  if (topic.length === 0 || topic.length > TOPIC_BYTES_MAX) {
    throw new RangeError(`topic must be 1 to ${TOPIC_BYTES_MAX} bytes, not ${topic.length}`);
  }
  if (properties.length > PROPERTIES_BYTES_MAX) {
    throw new RangeError(`properties must be at most ${PROPERTIES_BYTES_MAX} bytes, not ${properties.length}`);
  }
  // The u32 field holds up to 2^32 - 1 (the log itself allows only RocketMQ's 2^31 - 1: checkMessage).
  if (!Number.isInteger(queueId) || queueId < 0 || queueId > 0xffff_ffff) {
    throw new RangeError(`queueId must be a whole number from 0 to 2^32 - 1, not ${queueId}`);
  }
}

/** The layout above, filled in from `record` and its encoded topic and properties (already checked). */
export function layOutRecord(record: MessageRecord, topic: Uint8Array, properties: Uint8Array): Uint8Array {
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
  view.setUint32(OFFSET_BODY_LENGTH, record.body.length);
  let at = OFFSET_BODY;
  bytes.set(record.body, at);
  at += record.body.length;
  view.setUint8(at, topic.length);
  bytes.set(topic, at + 1);
  at += 1 + topic.length;
  view.setUint16(at, properties.length);
  bytes.set(properties, at + 2);
  // Last, once every covered byte is in place.
  view.setUint32(OFFSET_CRC, crc32(bytes.subarray(OFFSET_COVERED)));
  return bytes;
}

/** The end marker for a segment with `sizeBytes` left from the marker's position to its end. */
export function encodeEndMarker(sizeBytes: number): Uint8Array {
  if (!Number.isInteger(sizeBytes) || sizeBytes < END_MARKER_BYTES || sizeBytes > 0xffff_ffff) {
    throw new RangeError(`an end marker covers at least ${END_MARKER_BYTES} bytes, not ${sizeBytes}`);
  }
  const bytes = new Uint8Array(END_MARKER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, sizeBytes);
  view.setUint32(4, END_MAGIC);
  return bytes;
}

/**
 * Decodes the record (or end marker) at the start of `bytes`; bytes after it are ignored. Every
 * check a torn, stale or bit-flipped record could fail is made, and none of them throws.
 */
export function decodeRecord(bytes: Uint8Array): DecodeResult {
  if (bytes.length < END_MARKER_BYTES) return invalid(`only ${bytes.length} bytes, fewer than any header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const totalSize = view.getUint32(0);
  const magic = view.getUint32(4);
  if (magic === END_MAGIC) {
    if (totalSize < END_MARKER_BYTES) return invalid(`an end marker of ${totalSize} bytes`);
    return { kind: "end", sizeBytes: totalSize };
  }
  if (magic !== RECORD_MAGIC) return invalid(`unknown magic 0x${magic.toString(16).padStart(8, "0")}`);
  if (totalSize < RECORD_OVERHEAD_BYTES) return invalid(`a record of ${totalSize} bytes is shorter than its header`);
  if (totalSize > bytes.length) return invalid(`the record claims ${totalSize} bytes, only ${bytes.length} are there`);
  // The checksum first: until it matches, no other field can be believed.
  const covered = bytes.subarray(OFFSET_COVERED, totalSize);
  if (crc32(covered) !== view.getUint32(OFFSET_CRC)) return invalid("checksum mismatch");
  return parseFields(bytes.subarray(0, totalSize), view);
}

/** The fields of a record whose size, magic and checksum are already verified. */
function parseFields(bytes: Uint8Array, view: DataView): DecodeResult {
  const totalSize = bytes.length;
  const bodyLength = view.getUint32(OFFSET_BODY_LENGTH);
  const topicAt = OFFSET_BODY + bodyLength;
  if (topicAt + 1 > totalSize) return invalid("the body runs past the record");
  const topicLength = view.getUint8(topicAt);
  const propertiesAt = topicAt + 1 + topicLength;
  if (propertiesAt + 2 > totalSize) return invalid("the topic runs past the record");
  const propertiesLength = view.getUint16(propertiesAt);
  // A checksum proves the bytes are what was written, not that the writer got the lengths right.
  if (propertiesAt + 2 + propertiesLength !== totalSize) return invalid("the lengths inside disagree with totalSize");
  const numbers = [16, 24, 32, 40].map((at) => getU64(view, at));
  if (numbers.some((n) => n === null)) return invalid("an offset or timestamp is beyond 2^53");
  const [queueOffset, physicalOffset, bornTimestamp, storeTimestamp] = numbers as number[];
  let topic: string;
  let propertiesText: string;
  try {
    topic = fromUtf8(bytes.subarray(topicAt + 1, propertiesAt));
    propertiesText = fromUtf8(bytes.subarray(propertiesAt + 2, totalSize));
  } catch {
    return invalid("the topic or the properties are not UTF-8");
  }
  if (topic.length === 0) return invalid("an empty topic");
  const properties = decodeProperties(propertiesText);
  if (properties === null) return invalid("malformed properties");
  return {
    kind: "record",
    sizeBytes: totalSize,
    record: {
      topic,
      queueId: view.getUint32(12),
      queueOffset: queueOffset as number,
      physicalOffset: physicalOffset as number,
      bornTimestamp: bornTimestamp as number,
      storeTimestamp: storeTimestamp as number,
      // A copy: the caller's buffer may be reused, and a record must not change under its reader.
      body: bytes.slice(OFFSET_BODY, topicAt),
      properties,
    },
  };
}

function invalid(reason: string): DecodeResult {
  return { kind: "invalid", reason };
}
