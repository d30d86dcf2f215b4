/**
 * Bug zoo, lab 01: A READ THAT TRUSTS ITS INDEX ENTRY.
 *
 * The reference consume queues with one part replaced: the check of the record an entry leads to.
 * This one believes the entry: whatever record sits at the entry's physical offset is returned as
 * the queue's message, with the entry's tag hash.
 *
 * Why it is tempting: the index was written by the same broker, from the very record it points
 * at, a moment after the record itself. What could be wrong with it?
 *
 * What breaks it: an entry has no checksum. A flipped bit in its physical offset points it at
 * another record, of this queue or of any other; one in its tag hash makes a tag filter pass or
 * drop the wrong messages. A reader that does not compare the record with the entry (topic, queue,
 * queue offset, size, tag hash) hands that other message to a consumer as if it were this one.
 */
import type { StoredRecord } from "#labs/01-log-storage/provided.ts";
import { type IndexEntry, ConsumeQueueStore as ReferenceStore } from "../../solution/consume-queue.ts";

export class ConsumeQueueStore extends ReferenceStore {
  protected override leadsToItsRecord(_entry: IndexEntry, _stored: StoredRecord): boolean {
    return true; // the bug: the entry is believed, not checked
  }
}
