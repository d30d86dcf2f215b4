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
import type { Segment } from "#labs/01-log-storage/provided.ts";
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";

/** The reference commit log, with this answer to "how old is a segment?". */
export class CommitLog extends ReferenceCommitLog {
  protected override async newestStoreTimestamp(index: number): Promise<number | null> {
    const segment = this.segments[index] as Segment;
    // The bug: the oldest record says when the segment started, not when it was last written.
    return (await this.read(segment.base)).record.storeTimestamp;
  }
}
