/**
 * Bug zoo, lab 01: A DISPATCH THAT APPENDS TO THE QUEUE'S END.
 *
 * dispatch puts the new entry at the end of the queue, as if every record arrived in order. On
 * the append path it does; but a dispatcher that fell behind fills its gap later, in whatever
 * order, and an entry may be written again. Put at the end, an entry for queue offset 5 lands at
 * offset 3 when the queue holds 3: read(3) then leads to the record of offset 5 (the check
 * catches that, and the read fails), read(5) says null, and nextOffset is short. RocketMQ writes
 * each entry at the position its queue offset gives (`ConsumeQueue.putMessagePositionInfo`
 * computes `expectLogicOffset = cqOffset * CQ_STORE_UNIT_SIZE` and checks it against the file).
 */
import type { StoredRecord } from "#labs/01-log-storage/provided.ts";
import { encodeEntry, ConsumeQueueStore as ReferenceStore } from "../../solution/consume-queue.ts";

/** The reference's batch size: entries wait in memory until this many are ready. */
const WRITE_BATCH_ENTRIES = 64;

/** The reference consume queues, with a dispatch that ignores the record's queue offset. */
export class ConsumeQueueStore extends ReferenceStore {
  override dispatch(stored: StoredRecord): Promise<void> {
    const queue = this.queueFor(stored.record.topic, stored.record.queueId);
    const entry = encodeEntry(stored);
    return queue.serialize(async () => {
      // The bug: the entry goes after the last one, whatever queue offset its record has.
      const waiting = this.unwrittenOf(queue);
      waiting.push(entry);
      queue.nextOffset++;
      if (waiting.length >= WRITE_BATCH_ENTRIES) await this.writeUnwritten(queue);
    });
  }
}
