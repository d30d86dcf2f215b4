/**
 * Idempotent producers: the broker's memory of what each producer already appended.
 *
 * A producer numbers its messages per queue: 0, 1, 2, ... The broker accepts a message only if its
 * sequence is exactly one more than the last it appended for that (producer, queue); it answers a
 * retry of something already appended with "duplicate" and the original offset, and a message that
 * skips ahead with "out of order" so the producer resends in order. That is how Kafka's idempotent
 * producer turns retries into exactly-once, in-order appends (storage/.../ProducerStateManager and
 * ProducerAppendInfo.checkSequence; the client re-queues with RecordAccumulator.insertInSequenceOrder).
 * Kafka remembers the last five batches per producer; this broker remembers every message's offset
 * (runs are small) and rebuilds the table from the log on start, as Kafka rebuilds from its log and
 * producer snapshots.
 *
 * A negative sequence (Kafka's RecordBatch.NO_SEQUENCE, -1, what a producer without idempotence
 * sends) opts out: such a message is appended unchecked and never recorded here.
 */
export type SequenceCheck =
  | { kind: "append" }
  | { kind: "duplicate"; queueOffset: number }
  | { kind: "outOfOrder"; expected: number };

/**
 * The broker checks and appends one message of a (producer, queue) stream at a time (see
 * `broker.ts`), so a check never races an append of the same stream.
 */
export class ProducerTable {
  /** (producer, topic, queue) -> queue offset of each sequence number appended, in order. */
  private readonly appended = new Map<string, number[]>();

  /** What to do with `sequence` from this producer on this queue. */
  check(producerId: string, topic: string, queueId: number, sequence: number): SequenceCheck {
    if (isUnsequenced(sequence)) return { kind: "append" };
    const offsets = this.appended.get(streamKey(producerId, topic, queueId)) ?? [];
    const offset = offsets[sequence];
    if (offset !== undefined) return { kind: "duplicate", queueOffset: offset };
    if (sequence !== offsets.length) return { kind: "outOfOrder", expected: offsets.length };
    return { kind: "append" };
  }

  /** Records an appended message (also used when rebuilding from the log). */
  record(producerId: string, topic: string, queueId: number, sequence: number, queueOffset: number): void {
    if (isUnsequenced(sequence)) return;
    const key = streamKey(producerId, topic, queueId);
    let offsets = this.appended.get(key);
    if (offsets === undefined) {
      offsets = [];
      this.appended.set(key, offsets);
    }
    offsets[sequence] = queueOffset;
  }
}

/** A send that opted out of idempotence: a negative sequence. */
export function isUnsequenced(sequence: number): boolean {
  return sequence < 0;
}

export function streamKey(producerId: string, topic: string, queueId: number): string {
  return `${producerId}\u0000${topic}\u0000${queueId}`;
}
