/**
 * Bug zoo, lab 01: A QUEUE LOOKUP THAT WALKS THE INDEX.
 *
 * To find the n-th message of a queue, this reader walks the queue's entries from the first one
 * until it has counted n of them. It returns the right message, every time, and costs n reads:
 * a consumer far into a long queue pays for every message before it, on every fetch. The point of
 * fixed-size entries is that entry n sits at byte n * 20 of the queue, in file floor(n / E):
 * RocketMQ reads it directly (`ConsumeQueue.getIndexBuffer`); Kafka, whose index is sparse, finds
 * the nearest entry by binary search and scans a little from there (`OffsetIndex.lookup`). Only
 * part G, which counts disk reads, catches it.
 */
import { CQ_ENTRY_BYTES, type QueueMessage, queueKey } from "#labs/01-log-storage/provided.ts";
import { ConsumeQueueStore as ReferenceStore } from "../../solution/consume-queue.ts";

/** The reference consume queues, with a lookup that walks to the entry it wants. */
export class ConsumeQueueStore extends ReferenceStore {
  override async read(topic: string, queueId: number, queueOffset: number): Promise<QueueMessage | null> {
    const queue = this.queues.get(queueKey(topic, queueId));
    if (queue !== undefined && queueOffset >= 0 && queueOffset < queue.nextOffset) {
      // The bug: count the entries one by one, from the start of the queue.
      for (let n = 0; n < queueOffset; n++) {
        const { index, path, position } = this.locate(queue, n);
        if (!queue.files.has(index)) break;
        const entry = await this.disk.read(path, position, CQ_ENTRY_BYTES);
        if (entry.length < CQ_ENTRY_BYTES) break;
      }
    }
    return super.read(topic, queueId, queueOffset);
  }
}
