/**
 * Bug zoo, lab 01: A SEGMENT ROLL THAT SPLITS A RECORD.
 *
 * The log is treated as one stream of bytes cut into files: a record that does not fit in what is
 * left of the active segment is written up to the segment's end, and its rest goes at the start of
 * the next file. Offsets stay contiguous, nothing is wasted... and nothing can read the record back:
 * a reader that goes to its offset finds half a record in one file, and recovery, which must check
 * a record whole, finds a record that runs past its file's end and cuts the log there, losing it
 * and everything after it. RocketMQ closes the file with a blank record instead
 * (`CommitLog.DefaultAppendMessageCallback.doAppend` returns END_OF_FILE and the put is retried in
 * a new file); Kafka rolls before an append that would not fit (`LogSegment.shouldRoll`).
 *
 * Only the placing of a record is this entry's: the rest of the commit log is the reference's.
 */
import type { MessageRecord } from "#labs/01-log-storage/provided.ts";
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";

export class CommitLog extends ReferenceCommitLog {
  protected override async writeRecord(record: MessageRecord): Promise<number> {
    const bytes = this.encodeWithinLimit(record);
    // The bug: what does not fit in this segment continues in the next one.
    let written = 0;
    while (written < bytes.length) {
      if (this.writtenOffset === this.activeSegment.base + this.segmentBytes) await this.openNextSegment();
      const segment = this.activeSegment;
      const room = segment.base + this.segmentBytes - this.writtenOffset;
      const piece = bytes.subarray(written, written + room);
      await this.disk.write(segment.path, this.writtenOffset - segment.base, piece);
      this.writtenOffset += piece.length;
      written += piece.length;
    }
    return bytes.length;
  }
}
