/**
 * Lab 01 reference solution, parts B, D (flushTo), E (truncateTo) and F (retention): the commit log.
 *
 * One append-only log holds every message of every topic, as RocketMQ's CommitLog does. The log is
 * cut into segment files of a fixed capacity, each named by the physical offset of its first byte
 * (20 digits, zero-padded, so that names sort as numbers do):
 *
 *     commitlog/00000000000000000000   offsets [0, S)
 *     commitlog/00000000000000002048   offsets [S, 2S)      (S = segmentBytes = 2048 here)
 *     commitlog/00000000000000004096   the active segment: appends go here
 *
 * A physical offset is a byte position in the whole log, so the segment that holds offset p is the
 * one named floor(p / S) * S, and p - base is the position inside its file. Records never straddle
 * two files: when the next record (plus room for an end marker) does not fit, the rest of the
 * segment is closed with an end marker and the log rolls to the next file. RocketMQ does the same
 * (`CommitLog.DefaultAppendMessageCallback.doAppend` writes the blank message and returns
 * END_OF_FILE, and `MappedFileQueue` hands out the next file); Kafka rolls a segment by size or age
 * (`LogSegment.shouldRoll`) and needs no marker because its segments are not preallocated.
 *
 * Three positions describe the log in memory:
 *
 *     minOffset      the first byte still on disk (retention moves it forward)
 *     flushedOffset  every byte below it is durable (fsynced)
 *     writtenOffset  every byte below it is written (in the page cache, readable)
 *
 * Appends are serialized (RocketMQ holds its put-message lock for the same reason): a record's
 * physical offset and queue offset are decided and its bytes written before the next append starts,
 * so offsets are dense and the log has no holes. Flushing is not serialized with appends, which is
 * what lets many appends share one fsync (flush.ts).
 *
 * Where the teaching version departs from production: files grow as they are written instead of
 * being preallocated and memory-mapped; reads go through the disk each time (no mmap, no cache);
 * and the queue-offset table is rebuilt from the consume queues rather than kept in a checkpoint.
 */
import { DiskError, type Env } from "#lab";
import {
  type CommitLogApi,
  CommitLogBase,
  type CommitLogConfig,
  checkMessage,
  type DecodeResult,
  END_MAGIC,
  END_MARKER_BYTES,
  fileNameOf,
  joinPath,
  type MessageRecord,
  MessageTooLargeError,
  type NewMessage,
  OffsetOutOfRangeError,
  queueKey,
  READ_ATTEMPTS_MAX,
  RECORD_OVERHEAD_BYTES,
  RecordNotFoundError,
  type Segment,
  type StoredRecord,
} from "#labs/01-log-storage/provided.ts";
import { decodeRecord, encodeEndMarker, encodeRecord } from "./record.ts";

/**
 * The state (segments, the three positions, the queue-offset table) and its bookkeeping come from
 * `CommitLogBase` in provided.ts; this class adds the mechanisms.
 */
export class CommitLog extends CommitLogBase implements CommitLogApi {
  /** Set by the first failed fsync: from then on nothing this instance wrote can be called durable. */
  private flushFailure: unknown = null;

  /**
   * Opens the log in `config.dir`, creating it (and its first segment) if it does not exist. It
   * believes the files as they are: the end of the log is the end of the last segment file. That
   * is only true after a clean shutdown; after a crash, recovery (recovery.ts) corrects it.
   * Refuses segments below 512 bytes (RangeError), before touching the disk.
   */
  static async open(env: Env, config: CommitLogConfig): Promise<CommitLog> {
    if (!Number.isInteger(config.segmentBytes) || config.segmentBytes < 512) {
      throw new RangeError(`segmentBytes must be a whole number >= 512, not ${config.segmentBytes}`);
    }
    const { disk } = env;
    const dirPath = joinPath(config.dir, "commitlog");
    if (!(await disk.exists(dirPath))) await disk.mkdir(dirPath);
    const names = (await disk.list(dirPath)).filter((name) => /^\d{20}$/.test(name));
    const segments = names.map((name) => ({ base: Number(name), path: joinPath(dirPath, name) }));
    if (segments.length === 0) {
      const first = { base: 0, path: joinPath(dirPath, fileNameOf(0)) };
      await disk.create(first.path);
      segments.push(first);
    }
    // What `list` shows may exist only in the page cache: a roll that crashed between creating the
    // next segment and fsyncing the directory leaves such a file, and records appended to it now
    // would be acknowledged into a file a power cut can un-create. Make every name durable first.
    await disk.fsyncDir(dirPath);
    await disk.fsyncDir(config.dir);
    const last = segments.at(-1) as Segment;
    const writtenOffset = last.base + (await disk.size(last.path));
    return new this(env, config, dirPath, segments, writtenOffset);
  }

  /**
   * Appends one message: decides its physical and queue offsets, writes it, and returns it.
   * Resolves when the bytes are written (readable), not when they are durable: see flushTo.
   */
  append(message: NewMessage): Promise<StoredRecord> {
    checkMessage(message);
    return this.serialize(async () => {
      const record = this.recordFor(message);
      const sizeBytes = await this.writeRecord(record);
      this.queueOffsets.set(queueKey(record.topic, record.queueId), record.queueOffset + 1);
      return { record, sizeBytes };
    });
  }

  /** The record `message` becomes if it is written at the end of the log now. */
  protected recordFor(message: NewMessage): MessageRecord {
    const storeTimestamp = this.env.clock.now();
    return {
      topic: message.topic,
      queueId: message.queueId,
      queueOffset: this.nextQueueOffset(message.topic, message.queueId),
      physicalOffset: this.writtenOffset,
      bornTimestamp: message.bornTimestamp ?? storeTimestamp,
      storeTimestamp,
      body: message.body,
      properties: message.properties ?? {},
    };
  }

  /**
   * Writes `record` at the end of the log, in the active segment or, when it and an end marker
   * would not fit there, at the start of the next one (its physicalOffset is then moved there).
   * Advances writtenOffset past it and returns its size.
   */
  protected async writeRecord(record: MessageRecord): Promise<number> {
    let bytes = this.encodeWithinLimit(record);
    const segmentEnd = this.activeSegment.base + this.config.segmentBytes;
    // Room for the record *and* an end marker after it, so that a segment can always be closed.
    if (this.writtenOffset + bytes.length + END_MARKER_BYTES > segmentEnd) {
      await this.roll();
      record.physicalOffset = this.writtenOffset;
      bytes = encodeRecord(record);
    }
    const segment = this.activeSegment;
    await this.disk.write(segment.path, this.writtenOffset - segment.base, bytes);
    // The record is in the page cache: readers see it now. It is durable only once flushTo covers it.
    this.writtenOffset += bytes.length;
    return bytes.length;
  }

  /** The bytes of `record`; MessageTooLargeError if no segment could hold them. */
  protected encodeWithinLimit(record: MessageRecord): Uint8Array {
    const bytes = encodeRecord(record);
    if (bytes.length > this.maxRecordBytes) throw new MessageTooLargeError(bytes.length, this.maxRecordBytes);
    return bytes;
  }

  /**
   * Closes the active segment with an end marker and starts the next one. The new file's name is
   * made durable (fsyncDir) before any record in it can be acknowledged: a record in a file that a
   * power cut un-creates is lost, however well the file itself was fsynced.
   */
  protected async roll(): Promise<void> {
    const active = this.activeSegment;
    const position = this.writtenOffset - active.base;
    await this.disk.write(active.path, position, encodeEndMarker(this.config.segmentBytes - position));
    await this.openNextSegment();
  }

  /** Creates the segment after the active one, durably, and moves the end of the log to its start. */
  protected async openNextSegment(): Promise<void> {
    const base = this.activeSegment.base + this.config.segmentBytes;
    const next = { base, path: joinPath(this.dirPath, fileNameOf(base)) };
    // A file left by a roll that failed half-way holds nothing we need.
    if (await this.disk.exists(next.path)) await this.disk.truncate(next.path, 0);
    else await this.disk.create(next.path);
    await this.disk.fsyncDir(this.dirPath);
    this.segments.push(next);
    this.writtenOffset = next.base;
  }

  /** The record at `offset`. Throws OffsetOutOfRangeError or RecordNotFoundError, never returns garbage. */
  async read(offset: number): Promise<StoredRecord> {
    const result = await this.readAt(offset);
    if (result.kind === "record") return { record: result.record, sizeBytes: result.sizeBytes };
    throw new RecordNotFoundError(offset, result.kind === "end" ? "it is the end marker of a segment" : result.reason);
  }

  /**
   * What is at `offset`, verified: a record that says it lives at `offset`, an end marker that
   * reaches exactly the end of its segment, or "invalid" once READ_ATTEMPTS_MAX reads agree that
   * nothing valid is there. Reads are retried because a failed check may be a flipped bit on the
   * way from the disk, not damage on it: recovery must never cut the log at a transient error.
   */
  async readAt(offset: number): Promise<DecodeResult> {
    if (!Number.isSafeInteger(offset) || offset < this.minOffset || offset >= this.writtenOffset) {
      throw new OffsetOutOfRangeError(offset, `the log holds [${this.minOffset}, ${this.writtenOffset})`);
    }
    const segment = this.segmentFor(offset);
    const position = offset - segment.base;
    let reason = "";
    for (let attempt = 0; attempt < READ_ATTEMPTS_MAX; attempt++) {
      const result = await this.readOnce(segment, position);
      if (result.kind === "record") {
        if (result.record.physicalOffset === offset) return result;
        reason = `the record there says it lives at ${result.record.physicalOffset}`;
      } else if (result.kind === "end") {
        if (position + result.sizeBytes === this.config.segmentBytes) return result;
        reason = "an end marker that does not reach the end of its segment";
      } else reason = result.reason;
    }
    return { kind: "invalid", reason };
  }

  /** One read of the record at `position`: its size and magic first, then the whole record. */
  protected async readOnce(segment: Segment, position: number): Promise<DecodeResult> {
    const head = await this.disk.read(segment.path, position, END_MARKER_BYTES);
    if (head.length < END_MARKER_BYTES) return { kind: "invalid", reason: "the segment file ends here" };
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    if (view.getUint32(4) === END_MAGIC) return decodeRecord(head);
    const size = view.getUint32(0);
    if (size < RECORD_OVERHEAD_BYTES || position + size > this.config.segmentBytes) {
      return { kind: "invalid", reason: `an implausible record size ${size}` };
    }
    return decodeRecord(await this.disk.read(segment.path, position, size));
  }

  /** Every record from `from` (a record boundary) to the end of the log, in order. */
  async *records(from = this.minOffset): AsyncGenerator<StoredRecord> {
    let offset = from;
    while (offset < this.writtenOffset) {
      const result = await this.readAt(offset);
      if (result.kind === "record") {
        yield { record: result.record, sizeBytes: result.sizeBytes };
        offset += result.sizeBytes;
      } else if (result.kind === "end") {
        offset = this.segmentFor(offset).base + this.config.segmentBytes;
      } else throw new RecordNotFoundError(offset, result.reason);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // L1.D: making written bytes durable.

  /**
   * Makes every byte below `offset` durable: fsyncs each segment that holds bytes between
   * flushedOffset and `offset`, oldest first. Only bytes whose writes had completed when flushTo
   * was called are promised (fsync covers the writes completed before it starts), so the target
   * is capped at writtenOffset as it is *now*, before the first fsync.
   *
   * More than one segment when the log rolled since the last flush: the record that filled the old
   * segment and its end marker are still unsynced there. RocketMQ's GroupCommitService handles the
   * same case by calling `mappedFileQueue.flush(0)` again while the flushed position is short of the
   * request (`CommitLog.java`).
   *
   * A failed fsync poisons the instance: that flush and every other, even one already waiting
   * behind it, rejects. The failure dropped unsynced pages, and a later fsync of the same file
   * "succeeds" because nothing is left to write. (Part D's bug zoo shows both ways to miss this:
   * retrying the fsync, and one fsync per append, whose concurrent flushes race past the failure.)
   */
  async flushTo(offset: number): Promise<void> {
    if (this.flushFailure !== null) throw this.flushFailure;
    const target = Math.min(offset, this.writtenOffset);
    const from = this.flushedOffset;
    if (target <= from) return;
    for (const segment of this.segments.slice()) {
      if (segment.base + this.config.segmentBytes <= from || segment.base >= target) continue;
      try {
        await this.disk.fsync(segment.path);
      } catch (error) {
        // Retention deleted it meanwhile: nothing of it is left to make durable.
        if (error instanceof DiskError && error.code === "ENOENT" && !this.segments.includes(segment)) continue;
        this.flushFailure ??= error;
        throw error;
      }
      // Another flush failed while this one waited: the pages it dropped are the ones this one
      // was to write, and its own fsync "succeeded" with nothing left to write.
      if (this.flushFailure !== null) throw this.flushFailure;
    }
    // -- the commit point: every byte below `target` is on the platter.
    if (target > this.flushedOffset) this.flushedOffset = target;
  }

  // ---------------------------------------------------------------------------------------------
  // L1.E: cutting the log after a crash.

  /**
   * Cuts the log at `end` (a record boundary found by recovery): truncates the segment that holds
   * it, deletes every later segment, and makes both durable before it returns. A cut that is only
   * in the page cache can be undone by the next power cut: the removed records come back, behind
   * the records appended since, or at the end of a log that a clean close has since called clean,
   * where nothing cuts them again. An `end` outside [minOffset, writtenOffset] is refused
   * (RangeError) before anything changes.
   */
  truncateTo(end: number): Promise<void> {
    return this.serialize(async () => {
      if (end < this.minOffset || end > this.writtenOffset) {
        throw new RangeError(`cannot truncate at ${end}: the log holds [${this.minOffset}, ${this.writtenOffset})`);
      }
      const keepIndex = this.segments.findLastIndex((s) => s.base <= end);
      const keep = this.segments[keepIndex] as Segment;
      const later = this.segments.slice(keepIndex + 1);
      if ((await this.disk.size(keep.path)) > end - keep.base) await this.disk.truncate(keep.path, end - keep.base);
      // Last segment first, so that a crash in between leaves the segments contiguous.
      for (const segment of later.reverse()) await this.disk.unlink(segment.path);
      // Both syncs even when there was nothing left to cut: a cut made before a crash may still be
      // in the page cache only, and this call, made again by the next recovery, makes it durable.
      await this.disk.fsync(keep.path);
      await this.disk.fsyncDir(this.dirPath);
      // -- the commit point of the cut.
      this.segments = this.segments.slice(0, keepIndex + 1);
      this.writtenOffset = end;
      this.flushedOffset = Math.min(this.flushedOffset, end);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // L1.F: retention.

  /**
   * Deletes segments, oldest first, whose every record is older than `retentionMs`, and never the
   * active one. Oldest first, and the directory fsynced after: a power cut then forgets a suffix
   * of the deletions, never one in the middle. Returns how many segments were deleted.
   */
  deleteExpiredSegments(nowMs: number, retentionMs: number): Promise<number> {
    return this.serialize(async () => {
      let deleted = 0;
      // `length > 1`: the active segment is the one appends are writing; it is never a candidate.
      while (this.segments.length > 1) {
        const newest = await this.newestStoreTimestamp(0);
        if (newest === null || newest > nowMs - retentionMs) break;
        const oldest = this.segments.shift() as Segment;
        await this.disk.unlink(oldest.path);
        deleted++;
      }
      if (deleted > 0) await this.disk.fsyncDir(this.dirPath);
      return deleted;
    });
  }

  /**
   * How old segment `index` is: the store time of its newest record, or null when that cannot be
   * known yet. Not the active segment's. The first record of the segment after it was stored after
   * every record in it, so its store time bounds theirs, in one read (RocketMQ looks at the
   * file's modification time, Kafka at the largest timestamp in the segment's time index).
   */
  protected async newestStoreTimestamp(index: number): Promise<number | null> {
    const next = this.segments[index + 1];
    if (next === undefined || next.base >= this.writtenOffset) return null; // nothing after it yet
    return (await this.read(next.base)).record.storeTimestamp;
  }
}
