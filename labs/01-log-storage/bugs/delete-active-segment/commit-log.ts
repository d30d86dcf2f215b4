/**
 * Bug zoo, lab 01: DELETING THE ACTIVE SEGMENT.
 *
 * Retention treats every segment alike: once the newest record of a segment is older than the
 * retention time, the segment goes, the active one included when the log has been quiet for long
 * enough. Then, having no segment left to append to, it starts an empty one where the active one
 * was. The records of the active segment vanish although the log was still writing there, and their
 * offsets are handed out again to new records. Kafka never deletes the last segment without rolling
 * a new one first, past the old end ("we must always have at least one segment", `UnifiedLog`
 * `deleteSegments`); RocketMQ's CleanCommitLogService never deletes the file being written.
 */
import { fileNameOf, joinPath, type NewMessage, type StoredRecord } from "#labs/01-log-storage/provided.ts";
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";

export class CommitLog extends ReferenceCommitLog {
  private lastStoreTimestamp = 0;

  override async append(message: NewMessage): Promise<StoredRecord> {
    const stored = await super.append(message);
    this.lastStoreTimestamp = stored.record.storeTimestamp;
    return stored;
  }

  override deleteExpiredSegments(nowMs: number, retentionMs: number): Promise<number> {
    return this.serialize(async () => {
      let deleted = 0;
      // The bug: the active segment is a candidate like any other.
      while (this.segments.length > 0) {
        const next = this.segments[1];
        // An empty segment after this one (a roll whose record failed): its age is the last append's too.
        const newest =
          next === undefined || next.base >= this.writtenOffset
            ? this.lastStoreTimestamp
            : (await this.read(next.base)).record.storeTimestamp;
        if (newest > nowMs - retentionMs) break;
        const oldest = this.segments.shift() as { base: number; path: string };
        await this.disk.unlink(oldest.path);
        deleted++;
        if (this.segments.length === 0) {
          const fresh = { base: oldest.base, path: joinPath(this.dirPath, fileNameOf(oldest.base)) };
          await this.disk.create(fresh.path);
          this.segments.push(fresh);
          this.writtenOffset = fresh.base;
          this.flushedOffset = fresh.base;
          break;
        }
      }
      if (deleted > 0) await this.disk.fsyncDir(this.dirPath);
      return deleted;
    });
  }
}
