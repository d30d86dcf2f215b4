/**
 * Part L1.A, the other half of the codec's contract: what encodeRecord and encodeEndMarker must
 * refuse. A record the format cannot hold must be refused with a RangeError before any byte is
 * made, because the bytes it would make are wrong in a way no checksum catches: the CRC is
 * computed over the wrong bytes, so it matches.
 *
 * Anomalies:
 *   wrong answer   encodeRecord made bytes for a record the format cannot hold.
 *                  encodeRecord({ topic: <300 bytes> }) -> 356 bytes whose topic length byte says 44
 *                  encodeRecord({ queueId: 2^32 }) -> bytes that decode with queueId 0
 *                  encodeEndMarker(4) -> a marker no segment can hold
 */
import fc from "fast-check";
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { isProgrammingError, rethrowFrom } from "#harness/grade/verdict.ts";
import { errorText } from "#harness/workloads/call.ts";
import type { History, Op } from "#harness/workloads/history.ts";
import { utf8 } from "#lab";
import { END_MARKER_BYTES, type LogModule, type MessageRecord, PROPERTIES_BYTES_MAX, TOPIC_BYTES_MAX } from "./api.ts";

type NumberField = "queueOffset" | "physicalOffset" | "bornTimestamp" | "storeTimestamp";

/** One thing wrong with a record, that the encoder must refuse. */
export type Flaw =
  | { kind: "emptyTopic" }
  | { kind: "longTopic"; bytes: number; multibyte: boolean }
  | { kind: "longProperties"; bytes: number }
  | { kind: "badPropertyName"; name: "" | "a\u0001b" | "a\u0002b" }
  | { kind: "badQueueId"; value: number }
  | { kind: "badNumber"; field: NumberField; value: number };

export const flawArb: fc.Arbitrary<Flaw> = fc.oneof(
  fc.constant({ kind: "emptyTopic" as const }),
  fc.record({
    kind: fc.constant("longTopic" as const),
    bytes: fc.integer({ min: TOPIC_BYTES_MAX + 1, max: 400 }),
    multibyte: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("longProperties" as const),
    bytes: fc.integer({ min: PROPERTIES_BYTES_MAX + 1, max: PROPERTIES_BYTES_MAX + 3000 }),
  }),
  fc.record({
    kind: fc.constant("badPropertyName" as const),
    name: fc.constantFrom("" as const, "a\u0001b" as const, "a\u0002b" as const),
  }),
  fc.record({
    kind: fc.constant("badQueueId" as const),
    value: fc.constantFrom(-1, 2 ** 32, 2 ** 32 + 7, 1.5),
  }),
  fc.record({
    kind: fc.constant("badNumber" as const),
    field: fc.constantFrom<NumberField>("queueOffset", "physicalOffset", "bornTimestamp", "storeTimestamp"),
    value: fc.constantFrom(-1, 2 ** 53, 2 ** 64, 0.5),
  }),
);

/** Sizes encodeEndMarker must refuse: too small to hold the marker, too big for its field, not whole. */
export const badEndMarkerArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: END_MARKER_BYTES - 1 }),
  fc.constantFrom(2 ** 32, 2 ** 32 + END_MARKER_BYTES, 8.5),
);

/** `record` with `flaw`. */
export function withFlaw(record: MessageRecord, flaw: Flaw): MessageRecord {
  switch (flaw.kind) {
    case "emptyTopic":
      return { ...record, topic: "" };
    case "longTopic":
      // "é" is two bytes in UTF-8: a topic of at most 127 characters can still be too long.
      return { ...record, topic: flaw.multibyte ? "é".repeat(Math.ceil(flaw.bytes / 2)) : "t".repeat(flaw.bytes) };
    case "longProperties":
      // One property "p" whose encoding ("p\u0001" + value + "\u0002") is exactly `bytes` long.
      return { ...record, properties: { p: "v".repeat(flaw.bytes - 3) } };
    case "badPropertyName":
      return { ...record, properties: { ...record.properties, [flaw.name]: "x" } };
    case "badQueueId":
      return { ...record, queueId: flaw.value };
    case "badNumber":
      return { ...record, [flaw.field]: flaw.value };
  }
}

/** The flaw in words, as a report says it. */
export function describeFlaw(flaw: Flaw): string {
  switch (flaw.kind) {
    case "emptyTopic":
      return "an empty topic";
    case "longTopic":
      return flaw.multibyte
        ? `a topic of ${Math.ceil(flaw.bytes / 2)} characters, ${utf8("é".repeat(Math.ceil(flaw.bytes / 2))).length} bytes in UTF-8 (the limit is ${TOPIC_BYTES_MAX} bytes, and its length field is one byte)`
        : `a ${flaw.bytes}-byte topic (the limit is ${TOPIC_BYTES_MAX} bytes, and its length field is one byte)`;
    case "longProperties":
      return `properties of ${flaw.bytes} bytes encoded (the limit is ${PROPERTIES_BYTES_MAX}, and their length field is two bytes)`;
    case "badPropertyName":
      return flaw.name === ""
        ? "a property with an empty name"
        : `a property named ${JSON.stringify(flaw.name)}, which holds a separator character`;
    case "badQueueId":
      return `queueId ${flaw.value} (its field holds a whole number from 0 to 2^32 - 1)`;
    case "badNumber":
      return `${flaw.field} ${flaw.value} (a u64 field holds a whole number from 0 to 2^53 - 1)`;
  }
}

/** encodeRecord must refuse the flawed record with a RangeError. */
export function checkRefusedRecord(impl: LogModule, history: History, record: MessageRecord, flaw: Flaw): Anomaly[] {
  const what = describeFlaw(flaw);
  return checkRefused(
    history,
    "encodeRecord",
    `{ a record with ${what} }`,
    () => impl.encodeRecord(record),
    (op) =>
      anomaly(
        "wrong answer",
        `encodeRecord accepted a record with ${what}. The format cannot hold it, so the bytes would be wrong ` +
          "in a way no checksum catches (the CRC covers the wrong bytes): it must throw a RangeError instead.",
        [op],
      ),
  );
}

/** encodeEndMarker must refuse a size no marker can have with a RangeError. */
export function checkRefusedEndMarker(impl: LogModule, history: History, sizeBytes: number): Anomaly[] {
  return checkRefused(
    history,
    "encodeEndMarker",
    sizeBytes,
    () => impl.encodeEndMarker(sizeBytes),
    (op) =>
      anomaly(
        "wrong answer",
        `encodeEndMarker(${sizeBytes}) made a marker. A marker covers a whole number of bytes from ${END_MARKER_BYTES} ` +
          "(its own size) to 2^32 - 1 (its u32 field): it must throw a RangeError instead.",
        [op],
      ),
  );
}

function checkRefused(
  history: History,
  f: string,
  input: unknown,
  encode: () => Uint8Array,
  accepted: (op: Op) => Anomaly,
): Anomaly[] {
  const op = history.invoke("codec", f, input);
  try {
    const bytes = encode();
    history.complete(op, "ok", { output: bytes instanceof Uint8Array ? `${bytes.length} bytes` : bytes });
    return [accepted(op)];
  } catch (error) {
    if (error instanceof RangeError) {
      history.complete(op, "ok", { output: "refused", note: errorText(error) });
      return [];
    }
    if (isProgrammingError(error)) rethrowFrom(`${f}(${typeof input === "string" ? input : String(input)})`, error);
    history.complete(op, "fail", { threw: errorText(error) });
    return [anomaly("wrong answer", `${f} threw ${errorText(error)}; its contract says a RangeError.`, [op])];
  }
}
