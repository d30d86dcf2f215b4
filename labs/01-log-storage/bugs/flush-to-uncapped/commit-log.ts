/**
 * Bug zoo, lab 01: A FLUSH THAT PROMISES WHAT WAS NEVER WRITTEN.
 *
 * flushTo(offset) fsyncs the segments and then moves flushedOffset to `offset`, as asked, instead
 * of to min(offset, writtenOffset). The log's own policies only ask for offsets that were written,
 * so nothing shows until a caller asks for "everything" with a larger number: flushedOffset then
 * runs ahead of the log's end, the records appended next lie below it, and the flushTo meant for
 * them returns at once, with nothing fsynced. RocketMQ's flush reports the position it really
 * reached (`MappedFileQueue.flush` sets flushedWhere from what the file flushed), never the request.
 */
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";

export class CommitLog extends ReferenceCommitLog {
  override async flushTo(offset: number): Promise<void> {
    await super.flushTo(offset);
    // The bug: the request, not what was written when the flush began, becomes the durable end.
    if (offset > this.flushedOffset) this.flushedOffset = offset;
  }
}
