/**
 * The broker's message store: lab 01's reference log (commit log, consume queues, group commit,
 * recovery), behind the `MessageStore` interface.
 *
 * Each broker message becomes one log record in the topic's queue. Its key, producer id and
 * sequence number travel as record properties (RocketMQ keeps a message's keys in the KEYS property
 * too), so that on restart the broker can rebuild its idempotence table by reading the queues back,
 * as Kafka rebuilds producer state from its log. The message's own properties travel beside them
 * under a "P." prefix, so that a property named KEYS cannot clash with the key. Sync flush with
 * group commit: an append resolves only once it is durable, which is what lets the broker
 * acknowledge a send.
 */
import { type Env, fromUtf8, utf8 } from "#lab";
import type { MessageLog, QueueMessage } from "#labs/01-log-storage/provided.ts";
import { openReferenceLog } from "#labs/01-log-storage/reference.ts";
import type { StoredMessage } from "./protocol.ts";
import type { MessageStore, NewMessage } from "./store.ts";

/** Small segments: simulated runs are short, and small files make rolls and recovery happen. */
const SEGMENT_BYTES = 64 * 1024;
const STORE_DIR = "store";
/** Prefix of the message's own properties among the record's. */
const OWN = "P.";

export async function openLogStore(env: Env): Promise<MessageStore> {
  const log = await openReferenceLog(env, { dir: STORE_DIR, segmentBytes: SEGMENT_BYTES, flush: { mode: "sync" } });
  // After a process crash, recovery keeps the records that survived in the page cache, though no
  // fsync covered them yet (their appends were never acknowledged). The broker then rebuilds its
  // idempotence table from them and answers a producer's retry of one with "duplicate": an
  // acknowledgement. A power cut could still take the record away. So the store makes everything
  // it recovered durable before it serves anything: what it shows, it keeps.
  await log.flush();
  const ends = new Map<string, number>();
  for (const q of await log.queues()) ends.set(queueKey(q.topic, q.queueId), q.nextOffset);
  return new LogStore(log, ends);
}

class LogStore implements MessageStore {
  constructor(
    private readonly log: MessageLog,
    private readonly ends: Map<string, number>,
  ) {}

  async append(message: NewMessage): Promise<number> {
    const result = await this.log.append({
      topic: message.topic,
      queueId: message.queueId,
      body: utf8(message.body),
      properties: {
        KEYS: message.key,
        PID: message.producerId,
        SEQ: String(message.sequence),
        ...prefixed(message.properties ?? {}),
      },
      bornTimestamp: message.storedAtMs,
    });
    const key = queueKey(message.topic, message.queueId);
    this.ends.set(key, Math.max(this.ends.get(key) ?? 0, result.queueOffset + 1));
    return result.queueOffset;
  }

  async read(topic: string, queueId: number, offset: number, max: number): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    for (let at = offset; out.length < max; at++) {
      const record = await this.log.readQueue(topic, queueId, at);
      if (record === null) break;
      out.push(toStored(record));
    }
    return out;
  }

  bounds(topic: string, queueId: number): { minOffset: number; maxOffset: number } {
    return { minOffset: 0, maxOffset: this.ends.get(queueKey(topic, queueId)) ?? 0 };
  }

  async scan(visit: (message: StoredMessage) => void): Promise<void> {
    for (const q of await this.log.queues()) {
      for (let at = 0; at < q.nextOffset; at++) {
        const record = await this.log.readQueue(q.topic, q.queueId, at);
        if (record !== null) visit(toStored(record));
      }
    }
  }
}

function toStored(record: QueueMessage): StoredMessage {
  return {
    topic: record.topic,
    queueId: record.queueId,
    queueOffset: record.queueOffset,
    key: record.properties.KEYS ?? "",
    body: fromUtf8(record.body),
    producerId: record.properties.PID ?? "",
    sequence: Number(record.properties.SEQ ?? -1),
    storedAtMs: record.storeTimestamp,
    properties: own(record.properties),
  };
}

function prefixed(properties: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) out[OWN + name] = value;
  return out;
}

function own(properties: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) {
    if (name.startsWith(OWN)) out[name.slice(OWN.length)] = value;
  }
  return out;
}

function queueKey(topic: string, queueId: number): string {
  return `${topic}\u0000${queueId}`;
}
