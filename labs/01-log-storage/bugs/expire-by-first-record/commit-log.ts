/**
 * Bug zoo, lab 01: EXPIRING A SEGMENT BY ITS FIRST RECORD.
 *
 * Retention asks how old a segment is, and answers with the store time of the segment's first
 * record: its oldest. A segment that was opened long ago but written to a moment ago then counts
 * as expired, and its recent records are deleted with it. A segment's age for retention is the age
 * of its newest record: Kafka keeps the largest timestamp of each segment in its time index
 * (`LogSegment.maxTimestampSoFar`), RocketMQ uses the file's last-modified time, which is the
 * time of its last write (`CleanCommitLogService`, `MappedFile.getLastModifiedTimestamp`).
 */
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";

export class CommitLog extends ReferenceCommitLog {
  override deleteExpiredSegments(nowMs: number, retentionMs: number): Promise<number> {
    return this.serialize(async () => {
      let deleted = 0;
      while (this.segments.length > 1) {
        const oldest = this.segments[0] as { base: number; path: string };
        // The bug: the oldest record says when the segment started, not when it was last written.
        const first = await this.read(oldest.base);
        if (first.record.storeTimestamp > nowMs - retentionMs) break;
        this.segments.shift();
        await this.disk.unlink(oldest.path);
        deleted++;
      }
      if (deleted > 0) await this.disk.fsyncDir(this.dirPath);
      return deleted;
    });
  }
}
