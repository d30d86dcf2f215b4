/**
 * Bug zoo, lab 01: A FLUSH THAT WALKS THE LIVE LIST OF SEGMENTS.
 *
 * flushTo walks `this.segments` by index, fsyncing each segment between flushedOffset and the
 * target, and awaits each fsync. Retention runs beside it (nothing serializes the two: a flush must
 * not wait behind appends), and when it removes the oldest segment from the list, every index
 * moves down by one: the loop's next index now names the segment after the next, and one segment
 * is never fsynced. flushTo still resolves and moves flushedOffset past it; a power cut then takes
 * records that were acknowledged as durable. The reference walks a copy of the list.
 */
import { DiskError } from "#lab";
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";

export class CommitLog extends ReferenceCommitLog {
  private failed: unknown = null;

  override async flushTo(offset: number): Promise<void> {
    if (this.failed !== null) throw this.failed;
    const target = Math.min(offset, this.writtenOffset);
    const from = this.flushedOffset;
    if (target <= from) return;
    // The bug: the index walks the list retention may shorten meanwhile.
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      if (segment === undefined) break;
      if (segment.base + this.segmentBytes <= from || segment.base >= target) continue;
      try {
        await this.disk.fsync(segment.path);
      } catch (error) {
        if (error instanceof DiskError && error.code === "ENOENT" && !this.segments.includes(segment)) continue;
        this.failed ??= error;
        throw error;
      }
      if (this.failed !== null) throw this.failed;
    }
    if (target > this.flushedOffset) this.flushedOffset = target;
  }
}
