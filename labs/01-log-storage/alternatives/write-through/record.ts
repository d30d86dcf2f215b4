/**
 * Lab 01, part A, a correct alternative ("write-through"): the record format.
 *
 * How it differs from the reference, and why it is still correct. This file was written from the
 * stub's contract and the guide alone. The decoder is a bounds-checked cursor (`Cursor`) that
 * answers null instead of throwing when a field runs past the input, so no DataView read can ever
 * throw; it verifies the CRC before it parses anything but the two fields needed to find the CRC
 * (totalSize and magic), and after the CRC it insists that the inner lengths add up to exactly
 * totalSize and that every field is one the encoder could have written (topic of 1 to 127 bytes of
 * valid UTF-8, properties in RocketMQ's format of at most 32,767 bytes). The encoder validates
 * every field up front and throws a RangeError before it allocates anything, so it never returns
 * bytes the decoder would reject. The format itself is the one the stub specifies, byte for byte.
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

/** Where the CRC starts covering: everything after totalSize, magic and the CRC itself. */
const CRC_FROM = 12;
const U32_MAX = 0xffff_ffff;
/** The four u64 fields, in the order they follow queueId (at 12) from offset 16. */
const U64_FIELDS = ["queueOffset", "physicalOffset", "bornTimestamp", "storeTimestamp"] as const;
const U64_FROM = 16;

/** The bytes of `record`. Throws a RangeError for anything the format cannot hold. */
export function encodeRecord(record: MessageRecord): Uint8Array {
  const topic = checkedTopic(record.topic);
  const properties = utf8(encodeProperties(record.properties));
  if (properties.length > PROPERTIES_BYTES_MAX) {
    throw new RangeError(`properties take ${properties.length} bytes; at most ${PROPERTIES_BYTES_MAX}`);
  }
  if (!(record.body instanceof Uint8Array)) throw new RangeError("body must be a Uint8Array");
  if (!Number.isInteger(record.queueId) || record.queueId < 0 || record.queueId > U32_MAX) {
    throw new RangeError(`queueId ${record.queueId} does not fit in 32 bits`);
  }
  for (const field of U64_FIELDS) {
    const value = record[field];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${field} ${value} is not a whole number >= 0`);
  }
  const totalSize = RECORD_OVERHEAD_BYTES + record.body.length + topic.length + properties.length;
  if (totalSize > U32_MAX) throw new RangeError(`a record of ${totalSize} bytes does not fit the size field`);

  const bytes = new Uint8Array(totalSize);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, totalSize);
  view.setUint32(4, RECORD_MAGIC);
  view.setUint32(CRC_FROM, record.queueId);
  for (const [i, field] of U64_FIELDS.entries()) setU64(view, U64_FROM + 8 * i, record[field]);
  let at = U64_FROM + 8 * U64_FIELDS.length;
  view.setUint32(at, record.body.length);
  bytes.set(record.body, at + 4);
  at += 4 + record.body.length;
  view.setUint8(at, topic.length);
  bytes.set(topic, at + 1);
  at += 1 + topic.length;
  view.setUint16(at, properties.length);
  bytes.set(properties, at + 2);
  // The CRC last: it must cover the bytes as they will be written.
  view.setUint32(8, crc32(bytes.subarray(CRC_FROM)));
  return bytes;
}

function checkedTopic(topic: string): Uint8Array {
  if (typeof topic !== "string") throw new RangeError("topic must be a string");
  const bytes = utf8(topic);
  if (bytes.length === 0 || bytes.length > TOPIC_BYTES_MAX) {
    throw new RangeError(`topic takes ${bytes.length} bytes; it must take 1 to ${TOPIC_BYTES_MAX}`);
  }
  return bytes;
}

/** An end marker for a segment with `sizeBytes` left from the marker on. */
export function encodeEndMarker(sizeBytes: number): Uint8Array {
  if (!Number.isInteger(sizeBytes) || sizeBytes < END_MARKER_BYTES || sizeBytes > U32_MAX) {
    throw new RangeError(`an end marker covers ${END_MARKER_BYTES} to 2^32 - 1 bytes, not ${sizeBytes}`);
  }
  const bytes = new Uint8Array(END_MARKER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, sizeBytes);
  view.setUint32(4, END_MAGIC);
  return bytes;
}

/** Decodes what starts at `bytes[0]`. Never throws: anything can come back from a disk. */
export function decodeRecord(bytes: Uint8Array): DecodeResult {
  const head = new Cursor(bytes, 0, bytes.length);
  const totalSize = head.u32();
  const magic = head.u32();
  if (totalSize === null || magic === null) return invalid(`only ${bytes.length} bytes: no room for a header`);
  if (magic === END_MAGIC) {
    if (totalSize < END_MARKER_BYTES) return invalid(`an end marker covering ${totalSize} bytes`);
    return { kind: "end", sizeBytes: totalSize };
  }
  if (magic !== RECORD_MAGIC) return invalid(`magic 0x${magic.toString(16)} is neither a record's nor an end marker's`);
  if (totalSize < RECORD_OVERHEAD_BYTES + 1) return invalid(`size ${totalSize} is below the smallest record`);
  if (totalSize > bytes.length) return invalid(`size ${totalSize} runs past the ${bytes.length} bytes read`);
  const storedCrc = head.u32();
  if (storedCrc === null || storedCrc !== crc32(bytes.subarray(CRC_FROM, totalSize))) {
    return invalid("the CRC does not match");
  }
  // From here the bytes are what some writer wrote; the fields must still add up.
  const record = parseVerified(new Cursor(bytes, CRC_FROM, totalSize));
  if (typeof record === "string") return invalid(record);
  return { kind: "record", record, sizeBytes: totalSize };
}

/** The fields after the CRC, or why they cannot be a record encodeRecord made. */
function parseVerified(cursor: Cursor): MessageRecord | string {
  const queueId = cursor.u32();
  const queueOffset = cursor.u64();
  const physicalOffset = cursor.u64();
  const bornTimestamp = cursor.u64();
  const storeTimestamp = cursor.u64();
  if (queueId === null || queueOffset === null || physicalOffset === null) return "offsets out of range";
  if (bornTimestamp === null || storeTimestamp === null) return "timestamps out of range";
  const body = cursor.bytes(cursor.u32());
  if (body === null) return "the body length runs past the record";
  const topicBytes = cursor.bytes(cursor.u8());
  if (topicBytes === null || topicBytes.length === 0 || topicBytes.length > TOPIC_BYTES_MAX) {
    return "the topic length is wrong";
  }
  const propertyBytes = cursor.bytes(cursor.u16());
  if (propertyBytes === null || propertyBytes.length > PROPERTIES_BYTES_MAX) return "the properties length is wrong";
  if (!cursor.atEnd()) return "the field lengths do not add up to the record size";
  const topic = textOf(topicBytes);
  const propertiesText = textOf(propertyBytes);
  if (topic === null || propertiesText === null) return "text that is not UTF-8";
  const properties = decodeProperties(propertiesText);
  if (properties === null) return "properties not in the k\\u0001v\\u0002 format";
  return {
    topic,
    queueId,
    queueOffset,
    physicalOffset,
    bornTimestamp,
    storeTimestamp,
    body: body.slice(),
    properties,
  };
}

function textOf(bytes: Uint8Array): string | null {
  try {
    return fromUtf8(bytes);
  } catch {
    return null;
  }
}

function invalid(reason: string): DecodeResult {
  return { kind: "invalid", reason };
}

/** Reads big-endian fields in [at, end) of `bytes`; every read past `end` answers null. */
class Cursor {
  private readonly view: DataView;

  constructor(
    private readonly source: Uint8Array,
    private at: number,
    private readonly end: number,
  ) {
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  }

  u8(): number | null {
    return this.take(1) ? this.view.getUint8(this.at - 1) : null;
  }

  u16(): number | null {
    return this.take(2) ? this.view.getUint16(this.at - 2) : null;
  }

  u32(): number | null {
    return this.take(4) ? this.view.getUint32(this.at - 4) : null;
  }

  u64(): number | null {
    return this.take(8) ? getU64(this.view, this.at - 8) : null;
  }

  /** A view of the next `length` bytes (null if `length` is null or runs past the end). */
  bytes(length: number | null): Uint8Array | null {
    if (length === null || !this.take(length)) return null;
    return this.source.subarray(this.at - length, this.at);
  }

  atEnd(): boolean {
    return this.at === this.end;
  }

  private take(length: number): boolean {
    if (this.at + length > this.end) return false;
    this.at += length;
    return true;
  }
}
