/**
 * Kafka partition logs on the broker's store: partition p of `payments` is queue p of the store's
 * topic `payments` (and so for every topic of the layout, topics.ts), and each log entry is one store message, so a batch is appended whole or not
 * at all (lab 01's log checks every record's CRC at recovery, as Kafka checks each batch's).
 *
 * Format of one entry (a store message): producer id, epoch and sequence as the message's own
 * properties `K.PID`, `K.EPOCH`, `K.SEQ`; a marker has `K.MARKER` = "commit" or "abort" and no
 * sequence; a data batch's records are the body, as JSON. The store's own producer id is "" and
 * its sequence -1, so the broker's idempotence table (lab 02's send path) ignores these entries
 * when it rebuilds from the store: Kafka's duplicates are the partition state's business.
 */
import type { Env } from "#lab";
import type { KafkaRecord, LogEntry } from "../protocol.ts";
import { type MessageStore, type NewMessage, serviceMessage } from "../store.ts";
import type { NewLogEntry } from "./hooks.ts";
import type { TopicLayout } from "./topics.ts";

export const PAYMENTS_TOPIC = "payments";

const PID = "K.PID";
const EPOCH = "K.EPOCH";
const SEQ = "K.SEQ";
const MARKER = "K.MARKER";

/**
 * The store message for an entry of queue `partition` of store topic `topic`; throws RangeError on
 * an entry no partition could hold.
 */
export function encodeEntry(partition: number, entry: NewLogEntry, nowMs: number, topic = PAYMENTS_TOPIC): NewMessage {
  wholeAtLeast0("producer id", entry.producerId);
  wholeAtLeast0("epoch", entry.epoch);
  const properties: Record<string, string> = { [PID]: String(entry.producerId), [EPOCH]: String(entry.epoch) };
  let body = "";
  if (entry.kind === "data") {
    wholeAtLeast0("sequence", entry.sequence);
    if (!isRecords(entry.records) || entry.records.length === 0) {
      throw new RangeError("a batch holds one record or more, each a { key, body } of strings");
    }
    properties[SEQ] = String(entry.sequence);
    body = JSON.stringify(entry.records.map((r) => ({ key: r.key, body: r.body })));
  } else {
    properties[MARKER] = entry.commit ? "commit" : "abort";
  }
  return serviceMessage({ topic, queueId: partition, key: "", body }, nowMs, properties);
}

/** The entry a store message of `payments` holds; throws if it holds none (a broker bug, not a fault). */
export function decodeEntry(offset: number, properties: Record<string, string>, body: string): LogEntry {
  const producerId = numberOf(properties, PID);
  const epoch = numberOf(properties, EPOCH);
  const marker = properties[MARKER];
  if (marker !== undefined) {
    if (marker !== "commit" && marker !== "abort") throw new Error(`entry ${offset}: marker '${marker}'`);
    return { kind: "marker", offset, producerId, epoch, commit: marker === "commit" };
  }
  const records: unknown = JSON.parse(body);
  if (!isRecords(records)) throw new Error(`entry ${offset}: records unreadable`);
  return { kind: "data", offset, producerId, epoch, sequence: numberOf(properties, SEQ), records };
}

/** The partitions of the layout, by global number, read and appended as entries. */
export class PartitionLogs {
  constructor(
    private readonly env: Env,
    private readonly store: MessageStore,
    readonly layout: TopicLayout,
  ) {}

  get count(): number {
    return this.layout.count;
  }

  has(partition: number): boolean {
    return this.layout.has(partition);
  }

  /** Appends once durable; the caller holds the partition's lock. */
  async append(partition: number, entry: NewLogEntry): Promise<LogEntry> {
    this.check(partition);
    const place = this.layout.placeOf(partition);
    const offset = await this.store.append(encodeEntry(place.partition, entry, this.env.clock.now(), place.topic));
    return entry.kind === "data"
      ? {
          kind: "data",
          offset,
          producerId: entry.producerId,
          epoch: entry.epoch,
          sequence: entry.sequence,
          records: entry.records.map((r) => ({ ...r })),
        }
      : { kind: "marker", offset, producerId: entry.producerId, epoch: entry.epoch, commit: entry.commit };
  }

  async read(partition: number, offset: number, max: number): Promise<LogEntry[]> {
    this.check(partition);
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new RangeError(`offset ${offset} is not a whole number >= 0`);
    const place = this.layout.placeOf(partition);
    const messages = await this.store.read(place.topic, place.partition, offset, Math.max(0, max));
    return messages.map((m) => decodeEntry(m.queueOffset, m.properties, m.body));
  }

  highWatermark(partition: number): number {
    this.check(partition);
    const place = this.layout.placeOf(partition);
    return this.store.bounds(place.topic, place.partition).maxOffset;
  }

  private check(partition: number): void {
    if (!this.has(partition)) throw new RangeError(`partition ${partition} is not one of 0..${this.count - 1}`);
  }
}

function wholeAtLeast0(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${what} must be a whole number >= 0, not ${value}`);
}

function numberOf(properties: Record<string, string>, name: string): number {
  const value = Number(properties[name]);
  if (properties[name] === undefined || !Number.isSafeInteger(value)) throw new Error(`entry property ${name} missing`);
  return value;
}

function isRecords(value: unknown): value is KafkaRecord[] {
  return (
    Array.isArray(value) &&
    value.every(
      (r: unknown) =>
        typeof r === "object" &&
        r !== null &&
        typeof (r as { key?: unknown }).key === "string" &&
        typeof (r as { body?: unknown }).body === "string",
    )
  );
}
