/**
 * Bug zoo, lab 01: FLUSHING ONLY THE ACTIVE SEGMENT.
 *
 * flushTo fsyncs the file appends are going to, and calls everything below the target durable.
 * Usually that is the same thing. Not when the log rolled since the last flush: the record that
 * filled the old segment, and the end marker after it, are still only in the page cache of the old
 * file, which nobody fsyncs. A power cut then loses them, and recovery, finding the old segment's
 * end torn, cuts the log there, dropping the new segment too. RocketMQ's GroupCommitService
 * flushes again while the flushed position is short of the request, which carries the flush from
 * the old file into the new one (`CommitLog.java`, `MappedFileQueue.flush`).
 */
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";

export class CommitLog extends ReferenceCommitLog {
  private failed: unknown = null;

  override async flushTo(offset: number): Promise<void> {
    if (this.failed !== null) throw this.failed;
    const target = Math.min(offset, this.writtenOffset);
    if (target <= this.flushedOffset) return;
    try {
      await this.disk.fsync(this.activeSegment.path); // the bug: older segments may hold unflushed bytes too
    } catch (error) {
      this.failed ??= error;
      throw error;
    }
    if (this.failed !== null) throw this.failed;
    if (target > this.flushedOffset) this.flushedOffset = target;
  }
}
