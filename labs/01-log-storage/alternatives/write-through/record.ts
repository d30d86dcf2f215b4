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

export const RECORD_MAGIC = 0x4d534731;
export const END_MAGIC = 0x454e4421;
export const END_MARKER_BYTES = 8;
export const RECORD_OVERHEAD_BYTES = 55;
export const TOPIC_BYTES_MAX = 127;
export const PROPERTIES_BYTES_MAX = 32_767;

/** Where the CRC starts covering: everything after totalSize, magic and the CRC itself. */
const CRC_FROM = 12;
const U32_MAX = 0xffff_ffff;

export interface MessageRecord {
  topic: string;
  queueId: number;
  queueOffset: number;
  physicalOffset: number;
  bornTimestamp: number;
  storeTimestamp: number;
  body: Uint8Array;
  properties: Record<string, string>;
}

export type DecodeResult =
  | { kind: "record"; record: MessageRecord; sizeBytes: number }
  | { kind: "end"; sizeBytes: number }
  | { kind: "invalid"; reason: string };

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
  for (const field of ["queueOffset", "physicalOffset", "bornTimestamp", "storeTimestamp"] as const) {
    const value = record[field];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${field} ${value} is not a whole number >= 0`);
  }
  const totalSize = RECORD_OVERHEAD_BYTES + record.body.length + topic.length + properties.length;
  if (totalSize > U32_MAX) throw new RangeError(`a record of ${totalSize} bytes does not fit the size field`);

  const bytes = new Uint8Array(totalSize);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, totalSize);
  view.setUint32(4, RECORD_MAGIC);
  view.setUint32(12, record.queueId);
  setU64(view, 16, record.queueOffset);
  setU64(view, 24, record.physicalOffset);
  setU64(view, 32, record.bornTimestamp);
  setU64(view, 40, record.storeTimestamp);
  let at = 48;
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

// Provided helpers, as in the stub: formatting trivia, not the lesson.

/** RocketMQ's property encoding (`MessageDecoder.messageProperties2String`): "k\u0001v\u0002" per property. */
export function encodeProperties(properties: Record<string, string>): string {
  let text = "";
  for (const [key, value] of Object.entries(properties)) {
    if (key === "" || hasSeparator(key) || hasSeparator(value)) {
      throw new RangeError(`property ${JSON.stringify(key)} has an empty name or a separator character`);
    }
    text += `${key}\u0001${value}\u0002`;
  }
  return text;
}

function hasSeparator(text: string): boolean {
  return text.includes("\u0001") || text.includes("\u0002");
}

/** The inverse of encodeProperties, or null if `text` is not in its format. */
export function decodeProperties(text: string): Record<string, string> | null {
  const properties: Record<string, string> = {};
  if (text === "") return properties;
  if (!text.endsWith("\u0002")) return null;
  for (const pair of text.slice(0, -1).split("\u0002")) {
    const parts = pair.split("\u0001");
    if (parts.length !== 2 || parts[0] === "" || Object.hasOwn(properties, parts[0] as string)) return null;
    properties[parts[0] as string] = parts[1] as string;
  }
  return properties;
}

/** Writes a whole number in [0, 2^53) as 8 big-endian bytes. Throws a RangeError otherwise. */
export function setU64(view: DataView, at: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a whole number >= 0`);
  view.setUint32(at, Math.floor(value / 0x1_0000_0000));
  view.setUint32(at + 4, value >>> 0);
}

/** Reads 8 big-endian bytes as a number, or null if it is 2^53 or more. */
export function getU64(view: DataView, at: number): number | null {
  const high = view.getUint32(at);
  if (high > 0x1f_ffff) return null;
  return high * 0x1_0000_0000 + view.getUint32(at + 4);
}
