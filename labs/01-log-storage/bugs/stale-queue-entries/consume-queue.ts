/**
 * Bug zoo, lab 01: A CONSUME QUEUE AHEAD OF THE LOG, NOT REPAIRED.
 *
 * The rebuild writes an entry for every record the log holds, and stops there: entries past a
 * queue's last record, and the queue's end, are left as they were. A consume queue is written
 * without fsync, like the log, and a power cut can keep an index entry whose record it lost. After
 * recovery that entry points past the end of the log, and then at whatever record is appended
 * there next; the queue's next offset counts it, so the next message of the queue skips a number.
 * RocketMQ cuts every consume queue at the recovered end of the commit log
 * (`ConsumeQueue.truncateDirtyLogicFiles`, called from `DefaultMessageStore.truncateDirtyLogicFiles`).
 */
import { queueKey, type StoredRecord } from "#labs/01-log-storage/provided.ts";
import { encodeEntry, ConsumeQueueStore as ReferenceStore } from "../../solution/consume-queue.ts";

/** The reference consume queues, with a rebuild that only ever adds. */
export class ConsumeQueueStore extends ReferenceStore {
  override async rebuild(): Promise<void> {
    const fromLog = new Map<string, StoredRecord[]>();
    for await (const stored of this.commitLog.records()) {
      const key = queueKey(stored.record.topic, stored.record.queueId);
      fromLog.set(key, [...(fromLog.get(key) ?? []), stored]);
    }
    for (const records of fromLog.values()) {
      const first = records[0] as StoredRecord;
      const queue = this.queueFor(first.record.topic, first.record.queueId);
      await queue.serialize(async () => {
        await this.writeUnwritten(queue);
        await this.writeEntries(queue, first.record.queueOffset, records.map(encodeEntry));
        // The bug: nothing past the last record is removed, and the end never moves back.
        queue.nextOffset = Math.max(queue.nextOffset, first.record.queueOffset + records.length);
      });
    }
  }
}
