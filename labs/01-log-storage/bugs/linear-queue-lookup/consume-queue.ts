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
import { fileNameOf, joinPath, queueKey } from "../../solution/commit-log.ts";
import {
  CQ_ENTRY_BYTES,
  type QueueMessage,
  ConsumeQueueStore as ReferenceStore,
} from "../../solution/consume-queue.ts";

export * from "../../solution/consume-queue.ts";

export class ConsumeQueueStore extends ReferenceStore {
  override async read(topic: string, queueId: number, queueOffset: number): Promise<QueueMessage | null> {
    const queue = this.queues.get(queueKey(topic, queueId));
    if (queue !== undefined && queueOffset >= 0 && queueOffset < queue.nextOffset) {
      // The bug: count the entries one by one, from the start of the queue.
      const perFile = this.config.entriesPerFile;
      for (let n = 0; n < Math.min(queueOffset, queue.written); n++) {
        const path = joinPath(queue.dirPath, fileNameOf(Math.floor(n / perFile) * perFile * CQ_ENTRY_BYTES));
        await this.disk.read(path, (n % perFile) * CQ_ENTRY_BYTES, CQ_ENTRY_BYTES);
      }
    }
    return super.read(topic, queueId, queueOffset);
  }
}
