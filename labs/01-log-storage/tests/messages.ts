/**
 * The messages the workloads send, and how the checkers recognize what comes back.
 *
 * Every message is unique: its body starts with its id ("m12|") and goes on with random bytes, and
 * it carries its id in a property too. A message read back is identified by the id in its body and
 * then compared byte for byte with what was sent, so that a torn record, a record from the wrong
 * place or a flipped bit can never pass for the message it resembles.
 */

import type { SimRng } from "#harness/sim/rng.ts";
import type { Op } from "#harness/workloads/history.ts";
import { fromUtf8, utf8 } from "#lab";
import { expectedTagsHash, type MessageRecord, type NewMessage, recordSizeOf, type StoredRecord } from "./api.ts";

export const TOPICS = ["orders", "audit", "metrics"] as const;
const TAGS = ["TagA", "TagB", "TagC"];

export interface MessageSpec {
  topic: number;
  queueId: number;
  bodyBytes: number;
  tagged: boolean;
}

export interface SentMessage {
  id: string;
  message: Required<NewMessage>;
}

/** A message the log accepted: what was sent, what append returned, and the append in the history. */
export interface Appended {
  sent: SentMessage;
  stored: StoredRecord;
  op: Op;
}

/** Every message a run sent, by id. */
export class MessageBook {
  private readonly sent = new Map<string, SentMessage>();
  private next: number;

  /** `firstId`: the number of the first id, so that a run's second book does not repeat the first's ids. */
  constructor(
    private readonly rng: SimRng,
    firstId = 1,
  ) {
    this.next = firstId;
  }

  /**
   * A new message, different from every other, with a born timestamp of `bornMs`. With
   * `recordBytes`, its body is sized so that its record is exactly that many bytes (or as near as
   * the id at the head of the body allows), whatever `spec.bodyBytes` says.
   */
  make(spec: MessageSpec, bornMs: number, recordBytes?: number): SentMessage {
    const id = `m${this.next++}`;
    const prefix = utf8(`${id}|`);
    const topic = TOPICS[spec.topic % TOPICS.length] as string;
    // Every tag has the same length, so the size is known before the tag is drawn (and the draws
    // stay in the order they always had: the body's bytes, then the tag).
    const sizing: Record<string, string> = spec.tagged ? { KEYS: id, TAGS: TAGS[0] as string } : { KEYS: id };
    const bodyBytes =
      recordBytes === undefined
        ? spec.bodyBytes
        : recordBytes - recordSizeOf({ topic, body: new Uint8Array(0), properties: sizing });
    const body = new Uint8Array(Math.max(bodyBytes, prefix.length));
    body.set(prefix);
    for (let i = prefix.length; i < body.length; i++) body[i] = this.rng.uint32() & 0xff;
    const properties: Record<string, string> = { KEYS: id };
    if (spec.tagged) properties.TAGS = TAGS[this.rng.int(TAGS.length)] as string;
    const message = { topic, queueId: spec.queueId, body, properties, bornTimestamp: Math.round(bornMs) };
    const sent = { id, message };
    this.sent.set(id, sent);
    return sent;
  }

  get(id: string): SentMessage | undefined {
    return this.sent.get(id);
  }

  /**
   * What a returned record is: one of ours, intact ("ok"); one of ours with different bytes
   * ("corrupt", with what differs); or nothing anyone sent ("garbage").
   */
  identify(
    record: MessageRecord,
  ): { kind: "ok"; sent: SentMessage } | { kind: "corrupt"; sent: SentMessage; what: string } | { kind: "garbage" } {
    const id = idOf(record);
    const sent = id === null ? undefined : this.sent.get(id);
    if (sent === undefined) return { kind: "garbage" };
    const what = difference(sent.message, record);
    return what === null ? { kind: "ok", sent } : { kind: "corrupt", sent, what };
  }
}

/** The id in a record's body ("m12"), or null if the body does not start with one. */
export function idOf(record: { body?: unknown }): string | null {
  if (!(record.body instanceof Uint8Array)) return null;
  const head = record.body.subarray(0, 12);
  const bar = head.indexOf(0x7c);
  if (bar < 2) return null;
  try {
    const id = fromUtf8(head.subarray(0, bar));
    return /^m\d+$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** The first field in which a record differs from the message sent, or null if none does. */
export function difference(sent: Required<NewMessage>, record: MessageRecord): string | null {
  if (record.topic !== sent.topic)
    return `topic ${JSON.stringify(record.topic)} instead of ${JSON.stringify(sent.topic)}`;
  if (record.queueId !== sent.queueId) return `queue ${record.queueId} instead of ${sent.queueId}`;
  if (record.bornTimestamp !== sent.bornTimestamp) {
    return `bornTimestamp ${record.bornTimestamp} instead of ${sent.bornTimestamp}`;
  }
  if (!sameBytes(record.body, sent.body))
    return `a body of ${describeBytes(record.body)} instead of ${sent.body.length} bytes sent`;
  const got = JSON.stringify(sortedEntries(record.properties));
  const want = JSON.stringify(sortedEntries(sent.properties));
  if (got !== want) return `properties ${got} instead of ${want}`;
  return null;
}

/** What a checker says about the tag hash of a message read through its consume queue. */
export function tagsHashProblem(message: { tagsHash?: unknown; properties: Record<string, string> }): string | null {
  const want = expectedTagsHash(message.properties);
  return message.tagsHash === want ? null : `tagsHash ${String(message.tagsHash)} instead of ${want}`;
}

export function sameBytes(a: unknown, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describeBytes(value: unknown): string {
  if (!(value instanceof Uint8Array)) return `a ${typeof value}`;
  return `${value.length} bytes`;
}

function sortedEntries(properties: unknown): [string, string][] {
  if (typeof properties !== "object" || properties === null) return [];
  return Object.entries(properties as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** "m12 (orders/1, 233 bytes)" */
export function describeSent(sent: SentMessage): string {
  return `${sent.id} to ${sent.message.topic}/${sent.message.queueId} (${sent.message.body.length} bytes)`;
}

/** How a returned record reads in a report: "m12 @1234 (orders/1 #5)". */
export function describeRecord(record: MessageRecord): string {
  return `${idOf(record) ?? "?"} @${record.physicalOffset} (${record.topic}/${record.queueId} #${record.queueOffset})`;
}
