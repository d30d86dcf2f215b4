/**
 * Bug zoo, lab 01: A REBUILD THAT LEAVES A QUEUE THE LOG NO LONGER HOLDS.
 *
 * rebuild walks the log and repairs every queue it meets there. A queue whose every record
 * retention deleted is not met, so it is left as it is, entries and all. Its entries below the
 * log's start are right to keep (they hold its numbering); but a power cut can also have left an
 * entry after them, for a record it took, and that entry now leads to whatever was appended at
 * that offset since. Left in place, it makes the queue one message longer than it is, and its next
 * message skips a number. The repair: keep the entries that point below the log's start, cut at
 * the first that does not.
 */
import type { ConsumeQueue } from "#labs/01-log-storage/provided.ts";
import { ConsumeQueueStore as ReferenceStore } from "../../solution/consume-queue.ts";

/** The reference consume queues, whose rebuild keeps every entry of a queue with no record in the log. */
export class ConsumeQueueStore extends ReferenceStore {
  protected override async firstEntryAtOrPastLogStart(queue: ConsumeQueue): Promise<number> {
    // The bug: no entry is looked at; the queue ends where it ended.
    return queue.nextOffset;
  }
}
