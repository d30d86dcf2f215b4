/**
 * Bug zoo, lab 01: A CUT THAT STAYS IN THE PAGE CACHE.
 *
 * Recovery finds where the valid log ends and cuts it there: the segment that holds the end is
 * truncated, the later ones deleted. Nothing after the cut is wanted any more, and the cut
 * "obviously" takes effect at once: the next read sees the shorter file. So no fsync, no directory
 * fsync. But a truncation and an unlink are changes like any write: until they are synced, a power
 * cut may undo them, and the records recovery threw away come back, at the end of the log or
 * behind the records appended since. If a clean close has marked the log clean in between, no
 * recovery runs to cut them again, and a consumer reads messages the log had decided were never
 * there. The reference fsyncs the cut segment and its directory before truncateTo returns.
 */
import type { Segment } from "#labs/01-log-storage/provided.ts";
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";

export class CommitLog extends ReferenceCommitLog {
  override truncateTo(end: number): Promise<void> {
    return this.serialize(async () => {
      if (end < this.minOffset || end > this.writtenOffset) throw new RangeError(`cannot truncate at ${end}`);
      const keepIndex = this.segments.findLastIndex((s) => s.base <= end);
      const keep = this.segments[keepIndex] as Segment;
      const later = this.segments.slice(keepIndex + 1);
      if ((await this.disk.size(keep.path)) > end - keep.base) await this.disk.truncate(keep.path, end - keep.base);
      for (const segment of later.reverse()) await this.disk.unlink(segment.path);
      // The bug: neither the truncation nor the unlinks are made durable.
      this.segments = this.segments.slice(0, keepIndex + 1);
      this.writtenOffset = end;
      this.flushedOffset = Math.min(this.flushedOffset, end);
    });
  }
}
