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
 */
import {
  fileNameOf,
  joinPath,
  type MessageRecord,
  MessageTooLargeError,
  type NewMessage,
  queueKey,
  type Segment,
  type StoredRecord,
} from "#labs/01-log-storage/provided.ts";
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";
import { encodeRecord } from "../../solution/record.ts";

export class CommitLog extends ReferenceCommitLog {
  override append(message: NewMessage): Promise<StoredRecord> {
    return this.serialize(async () => {
      const storeTimestamp = Math.floor(this.env.clock.now());
      const record: MessageRecord = {
        topic: message.topic,
        queueId: message.queueId,
        queueOffset: this.nextQueueOffset(message.topic, message.queueId),
        physicalOffset: this.writtenOffset,
        bornTimestamp: message.bornTimestamp ?? storeTimestamp,
        storeTimestamp,
        body: message.body,
        properties: message.properties ?? {},
      };
      const bytes = encodeRecord(record);
      if (bytes.length > this.maxRecordBytes) throw new MessageTooLargeError(bytes.length, this.maxRecordBytes);
      // The bug: what does not fit in this segment continues in the next one.
      let written = 0;
      while (written < bytes.length) {
        let segment = this.activeSegment;
        if (this.writtenOffset + written >= segment.base + this.segmentBytes) segment = await this.nextSegment();
        const position = this.writtenOffset + written - segment.base;
        const piece = bytes.subarray(written, written + Math.min(this.segmentBytes - position, bytes.length - written));
        await this.disk.write(segment.path, position, piece);
        written += piece.length;
      }
      this.writtenOffset += bytes.length;
      this.queueOffsets.set(queueKey(record.topic, record.queueId), record.queueOffset + 1);
      return { record, sizeBytes: bytes.length };
    });
  }

  private async nextSegment(): Promise<Segment> {
    const base = this.activeSegment.base + this.segmentBytes;
    const next = { base, path: joinPath(this.dirPath, fileNameOf(base)) };
    if (!(await this.disk.exists(next.path))) await this.disk.create(next.path);
    await this.disk.fsyncDir(this.dirPath);
    this.segments.push(next);
    return next;
  }
}
