/**
 * What the broker needs from its message store: durable appends to (topic, queue) streams, reads
 * by queue offset, and recovery. The store is lab 01's reference log (see `log-store.ts`); tests
 * of the broker's own logic may use `MemoryStore`.
 */
import type { StoredMessage } from "./protocol.ts";

/** A message to append: `properties` may be left out (none). */
export type NewMessage = Omit<StoredMessage, "queueOffset" | "properties"> & { properties?: Record<string, string> };

/**
 * A message that one of the broker's own services appends (a transaction's real message, an op
 * record, a Kafka log entry): outside every producer's stream (`producerId: ""`, `sequence: -1`),
 * so that the broker's idempotence table ignores it.
 */
export function serviceMessage(
  where: { topic: string; queueId: number; key: string; body: string },
  storedAtMs: number,
  properties?: Record<string, string>,
): NewMessage {
  const { topic, queueId, key, body } = where;
  const message = { topic, queueId, key, body, producerId: "", sequence: -1, storedAtMs };
  return properties === undefined ? message : { ...message, properties };
}

export interface MessageStore {
  /** Appends and returns once the message is durable; resolves to its queue offset. */
  append(message: NewMessage): Promise<number>;
  /** Up to `max` messages of the queue from `offset` on, in order. */
  read(topic: string, queueId: number, offset: number, max: number): Promise<StoredMessage[]>;
  /** The queue's next offset (its length) and its first retained offset. */
  bounds(topic: string, queueId: number): { minOffset: number; maxOffset: number };
  /** Every message in the store, queue by queue, in order: for rebuilding producer state. */
  scan(visit: (message: StoredMessage) => void): Promise<void>;
}

/** A store with no durability at all: for unit tests of the broker's logic only. */
export class MemoryStore implements MessageStore {
  private readonly queues = new Map<string, StoredMessage[]>();

  async append(message: NewMessage): Promise<number> {
    const queue = this.queue(message.topic, message.queueId);
    queue.push({ ...message, queueOffset: queue.length, properties: { ...message.properties } });
    return queue.length - 1;
  }

  async read(topic: string, queueId: number, offset: number, max: number): Promise<StoredMessage[]> {
    return this.queue(topic, queueId).slice(offset, offset + max);
  }

  bounds(topic: string, queueId: number): { minOffset: number; maxOffset: number } {
    return { minOffset: 0, maxOffset: this.queue(topic, queueId).length };
  }

  async scan(visit: (message: StoredMessage) => void): Promise<void> {
    for (const queue of this.queues.values()) for (const message of queue) visit(message);
  }

  private queue(topic: string, queueId: number): StoredMessage[] {
    const key = `${topic}\u0000${queueId}`;
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = [];
      this.queues.set(key, queue);
    }
    return queue;
  }
}
