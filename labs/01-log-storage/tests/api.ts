/**
 * The shape of a lab 01 implementation, as the grader sees it: the exports of the learner's files
 * together (the codec functions and the parts `openLogWith` assembles). The types come from
 * provided.ts, never from the learner's files, so that a broken learner file cannot break the
 * grader's types. Also the record format as the guide specifies it, which part A checks
 * encodeRecord against, and small helpers every workload shares.
 */
import { crc32, utf8 } from "#lab";
import {
  type DecodeResult,
  type LogParts,
  type MessageRecord,
  RECORD_OVERHEAD_BYTES,
} from "#labs/01-log-storage/provided.ts";

export type {
  CommitLogApi,
  ConsumeQueueStoreApi,
  DecodeResult,
  FlushConfig,
  FlushPolicy,
  FlushTarget,
  LogConfig,
  MessageLog,
  MessageRecord,
  NewMessage,
  QueueMessage,
  StoredRecord,
} from "#labs/01-log-storage/provided.ts";
export {
  END_MAGIC,
  END_MARKER_BYTES,
  openLogWith,
  PROPERTIES_BYTES_MAX,
  RECORD_MAGIC,
  RECORD_OVERHEAD_BYTES,
  TOPIC_BYTES_MAX,
} from "#labs/01-log-storage/provided.ts";

export interface LogModule extends LogParts {
  encodeRecord(record: MessageRecord): Uint8Array;
  encodeEndMarker(sizeBytes: number): Uint8Array;
  decodeRecord(bytes: Uint8Array): DecodeResult;
}

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
