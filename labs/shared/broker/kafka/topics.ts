/**
 * The Kafka side's topics on one global partition numbering. The coordinator and the partition
 * states of lab 03 know partitions by number only; lab 04 adds topics, and the offsets partition,
 * without them noticing: `payments` keeps numbers 0 .. n-1 (so lab 03 sees exactly what it saw),
 * the extra topics follow in the order given, and `__consumer_offsets`, when consumer groups are
 * on, is the last number. Clients name a partition by topic and number within it, as Kafka's do;
 * the broker maps it here.
 *
 * Each partition is one queue of the store: queue p of the store topic of its own name.
 */
import { PAYMENTS_TOPIC } from "./log.ts";

export const CONSUMER_OFFSETS_TOPIC = "__consumer_offsets";

export interface PartitionPlace {
  topic: string;
  /** Its number within the topic, which is also its store queue. */
  partition: number;
}

export class TopicLayout {
  /** Global number -> topic and number within it. */
  private readonly places: PartitionPlace[] = [];
  /** Topic -> its first global number and its partition count. */
  private readonly firsts = new Map<string, { first: number; count: number }>();

  constructor(topics: readonly (readonly [string, number])[]) {
    for (const [topic, count] of topics) {
      if (!Number.isSafeInteger(count) || count < 1)
        throw new RangeError(`topic '${topic}' needs a whole number >= 1 of partitions, not ${count}`);
      if (this.firsts.has(topic)) throw new RangeError(`topic '${topic}' is listed twice`);
      this.firsts.set(topic, { first: this.places.length, count });
      for (let partition = 0; partition < count; partition++) this.places.push({ topic, partition });
    }
  }

  /** Every partition of every topic. */
  get count(): number {
    return this.places.length;
  }

  get topics(): string[] {
    return [...this.firsts.keys()];
  }

  /** The global number of `topic`'s partition, or null if there is no such partition. */
  globalOf(topic: string, partition: number): number | null {
    const at = this.firsts.get(topic);
    if (at === undefined || !Number.isSafeInteger(partition) || partition < 0 || partition >= at.count) return null;
    return at.first + partition;
  }

  /** How many partitions `topic` has (0 if none). */
  countOf(topic: string): number {
    return this.firsts.get(topic)?.count ?? 0;
  }

  placeOf(global: number): PartitionPlace {
    const place = this.places[global];
    if (place === undefined) throw new RangeError(`partition ${global} is not one of 0..${this.count - 1}`);
    return place;
  }

  has(global: number): boolean {
    return Number.isSafeInteger(global) && global >= 0 && global < this.count;
  }
}

/** The layout of a Kafka config: `payments` first, then the extra topics, then the offsets partition. */
export function layoutOf(paymentsPartitions: number, extra: Record<string, number>, groups: boolean): TopicLayout {
  const topics: [string, number][] = [[PAYMENTS_TOPIC, paymentsPartitions], ...Object.entries(extra)];
  if (groups) topics.push([CONSUMER_OFFSETS_TOPIC, 1]);
  return new TopicLayout(topics);
}
