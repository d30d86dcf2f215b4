/**
 * Bug zoo, lab 01: RETRYING FSYNC AFTER EIO.
 *
 * flushTo with one "robustness" improvement: when an fsync fails, try it again. The second fsync
 * succeeds, because the failed one already dropped the dirty pages: there is nothing left to write.
 * The appends waiting on the flush are acknowledged, and their records are on no disk and no longer
 * in the page cache either: reads of them fail, and the next appends land after a gap of zeros.
 * PostgreSQL did this until 2018 ("fsyncgate") and now crashes and recovers from its log instead.
 * Kafka marks the log directory offline on an IOException during a flush (`LogDirFailureChannel`)
 * and stops serving it. Lab 00 has the same bug in a register.
 */
import { DiskError } from "#lab";
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";

const FSYNC_ATTEMPTS_MAX = 3;

export class CommitLog extends ReferenceCommitLog {
  override async flushTo(offset: number): Promise<void> {
    const target = Math.min(offset, this.writtenOffset);
    const from = this.flushedOffset;
    if (target <= from) return;
    for (const segment of this.segments.slice()) {
      if (segment.base + this.segmentBytes <= from || segment.base >= target) continue;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.disk.fsync(segment.path);
          break;
        } catch (error) {
          // The bug: a failed fsync is taken for a hiccup.
          if (!(error instanceof DiskError) || error.code !== "EIO" || attempt >= FSYNC_ATTEMPTS_MAX) throw error;
          this.env.log.warn({ path: segment.path, attempt }, "fsync failed, retrying");
        }
      }
    }
    if (target > this.flushedOffset) this.flushedOffset = target;
  }
}
