/**
 * Bug zoo, lab 01: A REBUILD THAT CUTS THE COUNT, NOT THE FILES.
 *
 * rebuild writes the entries the log dictates and sets each queue's end after its last record,
 * but leaves the entries past that end in the files. The running store is right: nextOffset says
 * where the queue ends, and reads past it say null. The files are not, and the next clean open
 * believes its files: it finds the old entries again, sets nextOffset past them, and the queue's
 * next message skips their numbers. RocketMQ cuts the files themselves
 * (`ConsumeQueue.truncateDirtyLogicFiles`: the file that holds the cut is truncated there, later
 * files are deleted).
 */
import type { ConsumeQueue } from "#labs/01-log-storage/provided.ts";
import { ConsumeQueueStore as ReferenceStore } from "../../solution/consume-queue.ts";

/** The reference consume queues, whose cut moves only the queue's end in memory. */
export class ConsumeQueueStore extends ReferenceStore {
  protected override async cut(queue: ConsumeQueue, queueOffset: number): Promise<void> {
    // The bug: the files keep every entry from queueOffset on.
    queue.nextOffset = queueOffset;
  }
}
