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
 * 2^53 (use setU64/getU64 from provided.ts):
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
 *          .      2  propertiesLength, then the properties (encodeProperties in provided.ts)
 *
 * So a record is RECORD_OVERHEAD_BYTES (55) + body + topic + properties bytes. An end marker,
 * which closes a segment (part B), is 8 bytes: totalSize (the bytes left in the segment from the
 * marker on) and END_MAGIC.
 *
 * Rules of the game: use only what this lab gives you ("#lab" has crc32, utf8 and fromUtf8;
 * provided.ts has the constants, the types and the helpers). Keep no state at module level.
 */
import { NotImplemented } from "#lab";
import type { DecodeResult, MessageRecord } from "#labs/01-log-storage/provided.ts";

/**
 * The bytes of `record`, laid out as above, ready to be written at `record.physicalOffset`.
 *
 * Contract: the result is exactly 55 + body + topic + properties bytes; bytes 0..3 hold that size,
 * 4..7 RECORD_MAGIC, 8..11 the CRC-32 of bytes 12 to the end, and decodeRecord gives the record
 * back. Throws a RangeError for a record the format cannot hold, rather than write bytes the
 * decoder would reject or misread: a topic that is empty or longer than TOPIC_BYTES_MAX (127)
 * bytes in UTF-8; properties longer than PROPERTIES_BYTES_MAX bytes encoded, or with an empty name
 * or a separator character; a queueId that is not a whole number from 0 to 2^32 - 1 (its u32
 * field); an offset or timestamp that is not a whole number from 0 to 2^53 - 1.
 *
 * Implementation hints:
 * - Measure everything first (`utf8(topic)`, `utf8(encodeProperties(...))`), allocate once, fill
 *   the fields in with a DataView.
 * - DataView's setters do not refuse a value too big for the field: they keep its low bits.
 * - Which field must be written last?
 *
 * @param record the record to encode.
 */
export function encodeRecord(record: MessageRecord): Uint8Array {
  // YOUR CODE HERE (L1.A)
  void record;
  throw new NotImplemented("L1.A");
}

/**
 * The end marker of a segment with `sizeBytes` left from the marker's position to its end.
 *
 * Contract: 8 bytes: `sizeBytes` (u32), then END_MAGIC. Throws a RangeError for a size below 8
 * (END_MARKER_BYTES), above 2^32 - 1, or not a whole number.
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
 * copy, not a view into `bytes`: changing `bytes` afterwards does not change the record.
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
