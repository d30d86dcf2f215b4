/**
 * The shape of a lab 01 implementation, as the grader sees it: the exports of `log.ts`. Kept apart
 * from the learner's files so that a broken learner file cannot break the grader's types. Also the
 * record format as the guide specifies it, which the codec part checks encodeRecord against.
 */
import { crc32, type Env, utf8 } from "#lab";

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

export interface NewMessage {
  topic: string;
  queueId: number;
  body: Uint8Array;
  properties?: Record<string, string>;
  bornTimestamp?: number;
}

export interface StoredRecord {
  record: MessageRecord;
  sizeBytes: number;
}

export interface CommitLogApi {
  readonly minOffset: number;
  readonly writtenOffset: number;
  append(message: NewMessage): Promise<StoredRecord>;
  read(offset: number): Promise<StoredRecord>;
  records(from?: number): AsyncIterable<StoredRecord>;
  setQueueOffsets(offsets: ReadonlyMap<string, number>): void;
}

export interface QueueMessage extends MessageRecord {
  tagsHash: number;
}

export interface ConsumeQueueStoreApi {
  dispatch(stored: StoredRecord): Promise<void>;
  read(topic: string, queueId: number, queueOffset: number): Promise<QueueMessage | null>;
  rebuild(): Promise<void>;
  nextOffset(topic: string, queueId: number): number;
  nextOffsets(): Map<string, number>;
}

export type FlushConfig = { mode: "sync" } | { mode: "async"; intervalMs: number } | { mode: "manual" };

export interface LogConfig {
  dir?: string;
  segmentBytes?: number;
  entriesPerFile?: number;
  flush: FlushConfig;
  retentionMs?: number;
}

export interface AppendResult {
  physicalOffset: number;
  queueOffset: number;
  sizeBytes: number;
  storeTimestamp: number;
}

export interface MessageLog {
  append(message: NewMessage): Promise<AppendResult>;
  read(physicalOffset: number): Promise<MessageRecord>;
  readQueue(topic: string, queueId: number, queueOffset: number): Promise<QueueMessage | null>;
  flush(): Promise<void>;
  deleteExpiredSegments(): Promise<number>;
  close(): Promise<void>;
}

export interface LogModule {
  encodeRecord(record: MessageRecord): Uint8Array;
  encodeEndMarker(sizeBytes: number): Uint8Array;
  decodeRecord(bytes: Uint8Array): DecodeResult;
  CommitLog: { open(env: Env, config: { dir: string; segmentBytes: number }): Promise<CommitLogApi> };
  ConsumeQueueStore: {
    open(
      env: Env,
      config: { dir: string; entriesPerFile: number },
      commitLog: CommitLogApi,
    ): Promise<ConsumeQueueStoreApi>;
  };
  openLog(env: Env, config: LogConfig): Promise<MessageLog>;
}

// The record format, as the guide and the stub specify it.
export const RECORD_MAGIC = 0x4d534731;
export const END_MAGIC = 0x454e4421;
export const END_MARKER_BYTES = 8;
export const RECORD_OVERHEAD_BYTES = 55;
/** The bytes the CRC at offset 8 covers start here and run to the end of the record. */
export const CRC_COVERS_FROM = 12;

/** The size the format gives a record of this message. */
export function recordSizeOf(message: {
  topic: string;
  body: Uint8Array;
  properties?: Record<string, string>;
}): number {
  let properties = 0;
  for (const [key, value] of Object.entries(message.properties ?? {})) {
    properties += utf8(key).length + utf8(value).length + 2;
  }
  return RECORD_OVERHEAD_BYTES + message.body.length + utf8(message.topic).length + properties;
}

/** The tag hash an index entry must hold: CRC-32 of the "TAGS" property, 0 without one. */
export function expectedTagsHash(properties: Record<string, string>): number {
  return properties.TAGS === undefined ? 0 : crc32(utf8(properties.TAGS));
}

/** The queue key the commit log and consume queues share: "topic/queueId". */
export function queueKey(topic: string, queueId: number): string {
  return `${topic}/${queueId}`;
}

/** Whether an error is the log's "offset out of range" (by name, so a learner's own class counts). */
export function isOutOfRange(error: unknown): boolean {
  return error instanceof Error && error.name === "OffsetOutOfRangeError";
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
