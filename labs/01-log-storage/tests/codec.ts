/**
 * Part L1.A: the record codec, on its own. No disk, no faults: records and damaged bytes straight
 * into encodeRecord and decodeRecord, and records the format cannot hold into encodeRecord, which
 * must refuse them (codec-refusals.ts).
 *
 * Anomalies:
 *   wrong answer               encode does not follow the format, or decode(encode(r)) is not r.
 *                              encode(r) -> 301 bytes; the format says 55 + 233 + 6 + 12 = 306
 *   corruption passed through  damaged bytes of a real record decoded as a record.
 *                              decode(encode(r) with bit 200 flipped) -> a record (body differs)
 *   garbage read               bytes that were never a record decoded as one.
 *                              decode(<40 zero bytes>) -> a record
 *   wrong answer               the decoded body is a view into the bytes decoded: changing those
 *                              bytes afterwards changed the record.
 */
import fc from "fast-check";
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { isProgrammingError, rethrowFrom } from "#harness/grade/verdict.ts";
import { errorText } from "#harness/workloads/call.ts";
import type { History, Op } from "#harness/workloads/history.ts";
import { crc32 } from "#lab";
import {
  CRC_COVERS_FROM,
  type DecodeResult,
  END_MAGIC,
  END_MARKER_BYTES,
  type LogModule,
  type MessageRecord,
  PROPERTIES_BYTES_MAX,
  RECORD_MAGIC,
  recordSizeOf,
  TOPIC_BYTES_MAX,
} from "./api.ts";
import {
  badEndMarkerArb,
  checkRefusedEndMarker,
  checkRefusedRecord,
  type Flaw,
  flawArb,
  withFlaw,
} from "./codec-refusals.ts";
import { sameBytes } from "./messages.ts";

type Damage =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "zero"; at: number; length: number }
  | { kind: "truncate"; keep: number }
  | { kind: "size"; delta: number };

export type CodecCase =
  | { kind: "roundTrip"; record: MessageRecord; trailing: Uint8Array }
  | { kind: "damaged"; record: MessageRecord; damage: Damage }
  | { kind: "garbage"; bytes: Uint8Array; headerLike: boolean }
  | { kind: "end"; sizeBytes: number }
  | { kind: "refused"; record: MessageRecord; flaw: Flaw }
  | { kind: "badEndMarker"; sizeBytes: number };

export interface CodecScenario {
  cases: CodecCase[];
}

const safeText = (maxLength: number) =>
  fc.string({ unit: "grapheme", maxLength }).filter((s) => !s.includes("\u0001") && !s.includes("\u0002"));

/**
 * Values at the very edge of what the format holds, which the encoder must accept: a topic of
 * exactly TOPIC_BYTES_MAX bytes (also in two-byte characters), properties that encode to exactly
 * PROPERTIES_BYTES_MAX bytes, the largest queue id. An encoder off by one at a limit refuses them.
 */
const topicAtLimit = fc.constantFrom("t".repeat(TOPIC_BYTES_MAX), `${"é".repeat((TOPIC_BYTES_MAX - 1) / 2)}t`);
// One property "p" whose encoding ("p\u0001" + value + "\u0002") is exactly the limit.
const propertiesAtLimit = fc.constant({ p: "v".repeat(PROPERTIES_BYTES_MAX - 3) });

export const recordArb: fc.Arbitrary<MessageRecord> = fc.record({
  topic: fc.oneof({ weight: 9, arbitrary: fc.stringMatching(/^[A-Za-z0-9_%|-]{1,24}$/) }, topicAtLimit),
  queueId: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 0x7fff_ffff }) }, fc.constant(0xffff_ffff)),
  queueOffset: fc.integer({ min: 0, max: 2 ** 40 }),
  physicalOffset: fc.integer({ min: 0, max: 2 ** 48 }),
  bornTimestamp: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  storeTimestamp: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  body: fc.uint8Array({ maxLength: 700 }),
  properties: fc.oneof(
    {
      weight: 19,
      arbitrary: fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,7}$/), safeText(16), { maxKeys: 3 }),
    },
    propertiesAtLimit,
  ),
});

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("flip" as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("zero" as const),
      at: fraction,
      length: fc.integer({ min: 1, max: 600 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("truncate" as const), keep: fraction }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("size" as const),
      delta: fc.integer({ min: -120, max: 120 }).filter((d) => d !== 0),
    }),
  },
);

const caseArb: fc.Arbitrary<CodecCase> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("roundTrip" as const),
      record: recordArb,
      trailing: fc.uint8Array({ maxLength: 40 }),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("damaged" as const), record: recordArb, damage: damageArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("garbage" as const),
      bytes: fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 300 }).map((n) => new Uint8Array(n)),
      ),
      headerLike: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("end" as const),
      // The smallest and largest sizes a marker can carry are among them.
      sizeBytes: fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: END_MARKER_BYTES, max: 1 << 30 }) },
        fc.constantFrom(END_MARKER_BYTES, 0xffff_ffff),
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("refused" as const), record: recordArb, flaw: flawArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("badEndMarker" as const), sizeBytes: badEndMarkerArb }) },
);

export const codecScenarioArb: fc.Arbitrary<CodecScenario> = fc.record({
  cases: fc.array(caseArb, { minLength: 5, maxLength: 30 }),
});

export function describeCodecScenario(scenario: CodecScenario): string[] {
  const count = (kind: CodecCase["kind"]) => scenario.cases.filter((c) => c.kind === kind).length;
  return [
    "(no faults: the codec is called directly)",
    `workload: ${count("roundTrip")} round trips, ${count("damaged")} damaged records, ` +
      `${count("garbage")} runs of garbage, ${count("end")} end markers, ` +
      `${count("refused") + count("badEndMarker")} records and end markers the format cannot hold`,
  ];
}

const CLIENT = "codec";

/** Plays the cases in order and stops at the first broken one. */
export async function runCodecWorkload(ctx: TestContext<LogModule>, scenario: CodecScenario): Promise<Anomaly[]> {
  const codec = new Codec(ctx.impl, ctx.history);
  for (const c of scenario.cases) {
    const found = checkCase(codec, c);
    if (found.length > 0) return found;
  }
  return [];
}

/** Calls into the learner's codec, recording each call and keeping thrown errors apart. */
class Codec {
  constructor(
    readonly impl: LogModule,
    readonly history: History,
  ) {}

  encode(record: MessageRecord): { op: Op; bytes: Uint8Array } | { op: Op; threw: string } {
    const op = this.history.invoke(CLIENT, "encodeRecord", describeRecordInput(record));
    try {
      const bytes = this.impl.encodeRecord(record);
      this.history.complete(op, "ok", { output: bytes });
      return { op, bytes };
    } catch (error) {
      if (isProgrammingError(error)) rethrowFrom(`encodeRecord(${describeRecordInput(record)})`, error);
      this.history.complete(op, "fail", { threw: errorText(error) });
      return { op, threw: errorText(error) };
    }
  }

  decode(bytes: Uint8Array, what: string): { op: Op; result: DecodeResult } | { op: Op; threw: string } {
    const op = this.history.invoke(CLIENT, "decodeRecord", what);
    try {
      const result = this.impl.decodeRecord(bytes);
      this.history.complete(op, "ok", { output: summarize(result) });
      return { op, result };
    } catch (error) {
      if (isProgrammingError(error)) rethrowFrom(`decodeRecord(${what})`, error);
      this.history.complete(op, "fail", { threw: errorText(error) });
      return { op, threw: errorText(error) };
    }
  }
}

function checkCase(codec: Codec, c: CodecCase): Anomaly[] {
  switch (c.kind) {
    case "roundTrip": {
      const encoded = checkedEncode(codec, c.record);
      if ("anomalies" in encoded) return encoded.anomalies;
      const withTail = new Uint8Array(encoded.bytes.length + c.trailing.length);
      withTail.set(encoded.bytes);
      withTail.set(c.trailing, encoded.bytes.length);
      const what = c.trailing.length === 0 ? "<a record>" : `<a record followed by ${c.trailing.length} other bytes>`;
      const decoded = codec.decode(withTail, what);
      if ("threw" in decoded) return [threwAnomaly(decoded.op, decoded.threw)];
      const found = checkRoundTrip(c.record, encoded.bytes.length, decoded.result, [encoded.op, decoded.op]);
      if (found.length > 0 || decoded.result.kind !== "record") return found;
      // The record must not change when the bytes it came from do (a reader's buffer is reused).
      withTail.fill(0xa5);
      if (sameBytes(decoded.result.record.body, c.record.body)) return [];
      return [
        anomaly(
          "wrong answer",
          "the body decodeRecord returned changed when the bytes it decoded were overwritten afterwards: it is a view into them, not a copy (use slice, not subarray).",
          [encoded.op, decoded.op],
        ),
      ];
    }
    case "damaged": {
      const encoded = checkedEncode(codec, c.record);
      if ("anomalies" in encoded) return encoded.anomalies;
      const damaged = damage(encoded.bytes, c.damage);
      if (damaged === null) return []; // the damage changed nothing (zeros over zeros)
      const decoded = codec.decode(damaged.bytes, `<${damaged.what}>`);
      if ("threw" in decoded) return [threwAnomaly(decoded.op, decoded.threw)];
      if (decoded.result.kind === "invalid") return [];
      return [
        anomaly(
          "corruption passed through",
          `decodeRecord accepted a record with ${damaged.what} as ${decoded.result.kind === "end" ? "an end marker" : "a valid record"}. ` +
            'Damaged bytes must decode as { kind: "invalid" }: check the size against the bytes there, the magic, and the CRC of every byte after it.',
          [encoded.op, decoded.op],
        ),
      ];
    }
    case "garbage": {
      const bytes = c.bytes.slice();
      if (c.headerLike && bytes.length >= END_MARKER_BYTES) {
        const view = new DataView(bytes.buffer);
        view.setUint32(0, bytes.length);
        view.setUint32(4, RECORD_MAGIC);
      }
      const what = `${bytes.length} ${bytes.every((b) => b === 0) ? "zero" : "random"} bytes${c.headerLike && bytes.length >= 8 ? " behind a record's size and magic" : ""}`;
      const decoded = codec.decode(bytes, `<${what}>`);
      if ("threw" in decoded) return [threwAnomaly(decoded.op, decoded.threw)];
      if (decoded.result.kind === "invalid") return [];
      return [
        anomaly(
          "garbage read",
          `decodeRecord took ${what} for ${decoded.result.kind === "end" ? "an end marker" : "a record"}; they were never written as one.`,
          [decoded.op],
        ),
      ];
    }
    case "end":
      return checkEndMarker(codec, c.sizeBytes);
    case "refused":
      return checkRefusedRecord(codec.impl, codec.history, withFlaw(c.record, c.flaw), c.flaw);
    case "badEndMarker":
      return checkRefusedEndMarker(codec.impl, codec.history, c.sizeBytes);
  }
}

/** encodeRecord, and the parts of its output the format pins down. */
function checkedEncode(codec: Codec, record: MessageRecord): { op: Op; bytes: Uint8Array } | { anomalies: Anomaly[] } {
  const encoded = codec.encode(record);
  if ("threw" in encoded) {
    return {
      anomalies: [anomaly("wrong answer", `encodeRecord threw ${encoded.threw} for a valid record.`, [encoded.op])],
    };
  }
  const { bytes, op } = encoded;
  const wrong = (text: string): { anomalies: Anomaly[] } => ({ anomalies: [anomaly("wrong answer", text, [op])] });
  if (!(bytes instanceof Uint8Array)) return wrong("encodeRecord must return a Uint8Array.");
  const expected = recordSizeOf(record);
  if (bytes.length !== expected) {
    return wrong(
      `encodeRecord made ${bytes.length} bytes; the format says 55 bytes of header and lengths + ${record.body.length} of body + the topic and properties = ${expected}.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== bytes.length) {
    return wrong(`bytes 0..3 must hold totalSize (${bytes.length}), big-endian; they hold ${view.getUint32(0)}.`);
  }
  if (view.getUint32(4) !== RECORD_MAGIC) {
    return wrong(
      `bytes 4..7 must hold RECORD_MAGIC 0x${RECORD_MAGIC.toString(16)}; they hold 0x${view.getUint32(4).toString(16)}.`,
    );
  }
  if (view.getUint32(8) !== crc32(bytes.subarray(CRC_COVERS_FROM))) {
    return wrong(
      "bytes 8..11 must hold the CRC-32 of every byte after them (12 to the end of the record); they do not.",
    );
  }
  return { op, bytes };
}

function checkRoundTrip(record: MessageRecord, size: number, result: DecodeResult, ops: Op[]): Anomaly[] {
  const wrong = (text: string): Anomaly[] => [anomaly("wrong answer", text, ops)];
  if (result.kind !== "record") {
    return wrong(`decodeRecord(encodeRecord(r)) returned ${summarize(result)} instead of the record.`);
  }
  if (result.sizeBytes !== size)
    return wrong(`decodeRecord reported ${result.sizeBytes} bytes; the record is ${size}.`);
  const r = result.record;
  for (const field of [
    "topic",
    "queueId",
    "queueOffset",
    "physicalOffset",
    "bornTimestamp",
    "storeTimestamp",
  ] as const) {
    if (r[field] !== record[field]) {
      return wrong(
        `decoded ${field} is ${JSON.stringify(r[field])}; encodeRecord was given ${JSON.stringify(record[field])}.`,
      );
    }
  }
  if (!sameBytes(r.body, record.body))
    return wrong(`the decoded body differs from the ${record.body.length} bytes encoded.`);
  const got = JSON.stringify(Object.entries(r.properties ?? {}).sort());
  const want = JSON.stringify(Object.entries(record.properties).sort());
  if (got !== want) return wrong(`decoded properties are ${got}; encodeRecord was given ${want}.`);
  return [];
}

function checkEndMarker(codec: Codec, sizeBytes: number): Anomaly[] {
  const op = codec.history.invoke(CLIENT, "encodeEndMarker", sizeBytes);
  let marker: Uint8Array;
  try {
    marker = codec.impl.encodeEndMarker(sizeBytes);
    codec.history.complete(op, "ok", { output: marker });
  } catch (error) {
    if (isProgrammingError(error)) rethrowFrom(`encodeEndMarker(${sizeBytes})`, error);
    codec.history.complete(op, "fail", { threw: errorText(error) });
    return [anomaly("wrong answer", `encodeEndMarker(${sizeBytes}) threw ${errorText(error)}.`, [op])];
  }
  const view = marker instanceof Uint8Array ? new DataView(marker.buffer, marker.byteOffset, marker.byteLength) : null;
  if (
    view === null ||
    marker.length !== END_MARKER_BYTES ||
    view.getUint32(0) !== sizeBytes ||
    view.getUint32(4) !== END_MAGIC
  ) {
    return [
      anomaly(
        "wrong answer",
        `encodeEndMarker(${sizeBytes}) must be 8 bytes: the size it covers (${sizeBytes}), then END_MAGIC 0x${END_MAGIC.toString(16)}.`,
        [op],
      ),
    ];
  }
  const padded = new Uint8Array(END_MARKER_BYTES + 24);
  padded.set(marker);
  const decoded = codec.decode(padded, "<an end marker followed by zeros>");
  if ("threw" in decoded) return [threwAnomaly(decoded.op, decoded.threw)];
  if (decoded.result.kind !== "end" || decoded.result.sizeBytes !== sizeBytes) {
    return [
      anomaly(
        "wrong answer",
        `decodeRecord of an end marker for ${sizeBytes} bytes returned ${summarize(decoded.result)}, not { kind: "end", sizeBytes: ${sizeBytes} }.`,
        [op, decoded.op],
      ),
    ];
  }
  return [];
}

/** The record's bytes with one kind of damage, or null when the damage changed nothing. */
function damage(bytes: Uint8Array, d: Damage): { bytes: Uint8Array; what: string } | null {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  switch (d.kind) {
    case "flip": {
      const index = Math.floor(d.at * out.length);
      out[index] = (out[index] as number) ^ (1 << d.bit);
      return { bytes: out, what: `bit ${index * 8 + d.bit} flipped (byte ${index}, ${fieldAt(index)})` };
    }
    case "zero": {
      const start = Math.floor(d.at * out.length);
      const end = Math.min(out.length, start + d.length);
      if (out.subarray(start, end).every((b) => b === 0)) return null;
      out.fill(0, start, end);
      return { bytes: out, what: `bytes ${start}..${end - 1} zeroed, as a torn write leaves them` };
    }
    case "truncate": {
      const keep = Math.floor(d.keep * out.length);
      return { bytes: out.slice(0, keep), what: `only its first ${keep} of ${out.length} bytes` };
    }
    case "size": {
      const claimed = Math.max(0, out.length + d.delta);
      view.setUint32(0, claimed);
      return { bytes: out, what: `a totalSize of ${claimed} where the record is ${out.length} bytes` };
    }
  }
}

function fieldAt(index: number): string {
  if (index < 4) return "totalSize";
  if (index < 8) return "magic";
  if (index < 12) return "crc";
  if (index < 16) return "queueId";
  if (index < 24) return "queueOffset";
  if (index < 32) return "physicalOffset";
  if (index < 40) return "bornTimestamp";
  if (index < 48) return "storeTimestamp";
  if (index < 52) return "bodyLength";
  return "body, topic or properties";
}

function threwAnomaly(op: Op, threw: string): Anomaly {
  return anomaly(
    "wrong answer",
    `decodeRecord threw ${threw}. It must never throw on bad bytes (they come from a disk, and anything can): return { kind: "invalid", reason }.`,
    [op],
  );
}

function summarize(result: DecodeResult): string {
  if (result === null || typeof result !== "object") return String(result);
  if (result.kind === "record") return `a record of ${result.sizeBytes} bytes`;
  if (result.kind === "end") return `an end marker of ${result.sizeBytes} bytes`;
  if (result.kind === "invalid") return `invalid (${result.reason})`;
  return JSON.stringify(result);
}

function describeRecordInput(record: MessageRecord): string {
  return `{ topic ${JSON.stringify(record.topic)}, queue ${record.queueId} #${record.queueOffset}, @${record.physicalOffset}, ${record.body.length}-byte body, ${Object.keys(record.properties).length} properties }`;
}
