/**
 * Bug zoo, lab 01: A QUEUE FLUSH THAT SKIPS THE FOLDER A REBUILD EMPTIED.
 *
 * flush fsyncs every index file, then the folder of every queue that has files: the folders name
 * the files, and a file whose name is not durable can vanish at a power cut. A queue whose files a
 * rebuild deleted (it had only entries for records a power cut took) has no file left, so its
 * folder looks like nothing to sync. But the deletions are changes to that folder: until it is
 * synced, a power cut can bring the files back, and the next clean open, which believes its files,
 * finds the entries again and numbers the queue's next message past them. This was the reference's
 * own flush until part C's direct run cut the power after it. RocketMQ's consume queues are files
 * it deletes and recreates the same way (`ConsumeQueue.truncateDirtyLogicFiles` deletes whole files
 * past the end); Linux makes an unlink durable only with an fsync of its directory.
 */
import { joinPath } from "#labs/01-log-storage/provided.ts";
import { ConsumeQueueStore as ReferenceStore } from "../../solution/consume-queue.ts";

/** The reference consume queues, with a flush that syncs only the folders that still hold files. */
export class ConsumeQueueStore extends ReferenceStore {
  override async flush(): Promise<void> {
    const dirs = new Set<string>();
    for (const queue of this.queues.values()) {
      await queue.serialize(() => this.writeUnwritten(queue));
      for (const index of queue.files)
        await this.disk.fsync(this.locate(queue, index * this.config.entriesPerFile).path);
      // The bug: a queue with no file left is skipped, though its folder holds the deletions.
      if (queue.files.size === 0) continue;
      dirs.add(queue.dirPath);
      dirs.add(joinPath(this.rootPath, queue.topic));
    }
    if (dirs.size === 0) return;
    for (const dir of [...dirs].sort().reverse()) await this.disk.fsyncDir(dir);
    await this.disk.fsyncDir(this.rootPath);
    await this.disk.fsyncDir(this.config.dir);
  }
}
