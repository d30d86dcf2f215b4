/**
 * Lab 01, part A: the record format. This is your file.
 *
 * Every message the log stores is one record. A record is written once, at a position that never
 * changes (its physical offset), and whoever reads it back has nothing but the bytes: the record
 * must say by itself where it ends and whether it is intact. Grade this part alone with
 * `npx lab grade 01 --part A`; the guide (labs/01-log-storage/README.md) explains why each field
 * is there.
 *
 * The layout. Integers are big-endian (DataView's default); u64 fields hold whole numbers below
 * 2^53 (use setU64/getU64 below):
 *
 *     offset  bytes  field
 *          0      4  totalSize       bytes of the whole record, this field included
 *          4      4  magic           RECORD_MAGIC
 *          8      4  crc             CRC-32 of every byte after this field: [12, totalSize)
 *         12      4  queueId
 *         16      8  queueOffset
 *         24      8  physicalOffset
 *         32      8  bornTimestamp
 *         40      8  storeTimestamp
 *         48      4  bodyLength, then the body
 *          .      1  topicLength, then the topic (UTF-8)
 *          .      2  propertiesLength, then the properties (encodeProperties below)
 *
 * So a record is RECORD_OVERHEAD_BYTES (55) + body + topic + properties bytes. An end marker,
 * which closes a segment (part B), is 8 bytes: totalSize (the bytes left in the segment from the
 * marker on) and END_MAGIC.
 *
 * Rules of the game: use only what this lab gives you ("#lab" has crc32, utf8 and fromUtf8). Keep
 * no state at module level.
 */
import { NotImplemented } from "#lab";

/** "MSG1": the first bytes of a record after its size. */
export const RECORD_MAGIC = 0x4d534731;
/** "END!": the end marker of a segment. Differs from RECORD_MAGIC in 8 bits. */
export const END_MAGIC = 0x454e4421;
/** Bytes of an end marker: totalSize and END_MAGIC. A segment always keeps room for one. */
export const END_MARKER_BYTES = 8;
/** Bytes of a record around its variable parts (body, topic, properties). */
export const RECORD_OVERHEAD_BYTES = 55;
export const TOPIC_BYTES_MAX = 127;
export const PROPERTIES_BYTES_MAX = 32_767;

/** A message as the log stores it. */
export interface MessageRecord {
  topic: string;
  queueId: number;
  /** Its position in its consume queue: 0, 1, 2, ... per topic and queue. */
  queueOffset: number;
  /** Its own position in the log, in bytes. */
  physicalOffset: number;
  bornTimestamp: number;
  storeTimestamp: number;
  body: Uint8Array;
  /** Free-form string properties. RocketMQ keeps the tags in "TAGS" and the keys in "KEYS". */
  properties: Record<string, string>;
}

/** What a run of bytes turned out to hold. */
export type DecodeResult =
  | { kind: "record"; record: MessageRecord; sizeBytes: number }
  | { kind: "end"; sizeBytes: number }
  | { kind: "invalid"; reason: string };

/**
 * The bytes of `record`, laid out as above, ready to be written at `record.physicalOffset`.
 *
 * Contract: the result is exactly 55 + body + topic + properties bytes; bytes 0..3 hold that size,
 * 4..7 RECORD_MAGIC, 8..11 the CRC-32 of bytes 12 to the end. Throws a RangeError for a record the
 * format cannot hold (an empty or over-long topic, a negative offset): better to refuse it here
 * than to write bytes the decoder will reject.
 *
 * Implementation hints:
 * - Measure everything first (`utf8(topic)`, `utf8(encodeProperties(...))`), allocate once, fill
 *   the fields in with a DataView.
 * - Which field must be written last?
 *
 * @param record a record whose offsets and timestamps are whole numbers.
 */
export function encodeRecord(record: MessageRecord): Uint8Array {
  // YOUR CODE HERE (L1.A)
  void record;
  throw new NotImplemented("L1.A");
}

/**
 * The end marker of a segment with `sizeBytes` left from the marker's position to its end.
 *
 * Contract: 8 bytes: `sizeBytes` (u32), then END_MAGIC. Throws a RangeError below 8.
 */
export function encodeEndMarker(sizeBytes: number): Uint8Array {
  // YOUR CODE HERE (L1.A)
  void sizeBytes;
  throw new NotImplemented("L1.A");
}

/**
 * Decodes the record (or end marker) at the start of `bytes`; bytes after it are ignored.
 *
 * Contract: `{ kind: "record", record, sizeBytes }` only for the exact bytes encodeRecord made;
 * `{ kind: "end", sizeBytes }` for an end marker; `{ kind: "invalid", reason }` for anything else:
 * a flipped bit anywhere, a torn or cut record, zeros, random bytes, a size that lies. It never
 * throws: the bytes come from a disk, and anything can come from a disk. The returned body is a
 * copy, not a view into `bytes`.
 *
 * Implementation hints:
 * - Until the checksum matches, believe no field but the ones you need to find the checksum.
 * - A matching checksum proves the bytes are what some writer wrote. Does it prove the lengths
 *   inside add up?
 * - Truncated input is the common case, not the rare one: check that a field is there before you
 *   read it (a DataView read past the end throws a RangeError, and that is a crash, not "invalid").
 *
 * @param bytes what a read returned, starting where a record should start.
 */
export function decodeRecord(bytes: Uint8Array): DecodeResult {
  // YOUR CODE HERE (L1.A)
  void bytes;
  throw new NotImplemented("L1.A");
}

// Provided helpers: formatting trivia, not the lesson.

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
