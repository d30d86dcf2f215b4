/**
 * Lab 01, parts B (append, read, roll), D (flushTo), E (truncateTo) and F (retention): the commit
 * log. This is your file.
 *
 * One append-only log holds every message of every topic, cut into segment files of a fixed
 * capacity S (config.segmentBytes), each named by the physical offset of its first byte, 20 digits
 * zero-padded (`fileNameOf`):
 *
 *     commitlog/00000000000000000000   offsets [0, S)
 *     commitlog/00000000000000002048   offsets [S, 2S)      (S = 2048)
 *     commitlog/00000000000000004096   the active segment: appends go here
 *
 * A physical offset p is a byte position in the whole log: it lives in the segment named
 * floor(p / S) * S, at position p - base in that file. Three positions describe the log:
 *
 *     minOffset      the first byte still on disk (retention moves it forward)
 *     flushedOffset  every byte below it is durable (fsynced)
 *     writtenOffset  every byte below it is written: its write has completed (readable)
 *
 * The rules part B is graded on (the grader predicts every offset from them):
 * - a record goes where the last one ended, unless the record plus an end marker does not fit in
 *   what is left of the active segment; then the segment is closed with an end marker at that
 *   position (covering the rest of the segment) and the record starts the next segment;
 * - a record never straddles two segments;
 * - queue offsets count 0, 1, 2, ... per topic and queue (`queueKey`).
 *
 * Everything outside reaches the disk through `env.disk`; read the disk rules in lab 00's guide if
 * they are not fresh. Keep all state in the CommitLog object.
 */
import { type Env, NotImplemented } from "#lab";
import {
  type CommitLogApi,
  CommitLogBase,
  type CommitLogConfig,
  checkMessage,
  type DecodeResult,
  type NewMessage,
  type StoredRecord,
} from "#labs/01-log-storage/provided.ts";

/**
 * Your commit log. Its state (segments, writtenOffset, flushedOffset, the queue-offset table) and
 * bookkeeping (minOffset, segmentFor, serialize, ...) come from `CommitLogBase` in provided.ts:
 * read it first. You may add fields and helper methods (keep helpers `protected` or `private`).
 */
export class CommitLog extends CommitLogBase implements CommitLogApi {
  /**
   * Opens the log in `config.dir`: creates `commitlog/` and its first segment (base 0) if they do
   * not exist, lists the segments, and takes the end of the last segment file as writtenOffset.
   *
   * Contract: believes the files as they are, which is right after a clean shutdown; after a crash,
   * recovery (part E) corrects it. On return, every segment name it found or made is durable. (The
   * folder and file names are RocketMQ's layout, there for you to read the disk by: the grader
   * checks what your log reads back, not what its files are called.)
   * (CommitLogBase starts flushedOffset at minOffset: nothing is known durable at open.) Throws a
   * RangeError, before it touches the disk, when config.segmentBytes is not a whole number of at
   * least 512; 512 itself is accepted.
   *
   * Implementation hints:
   * - `disk.list` shows the page cache's view of a directory. Could a segment you find there vanish
   *   at the next power cut? What if records were acknowledged into it in the meantime?
   * - Build the object with `new this(env, config, dirPath, segments, writtenOffset)`.
   *
   * @param env this incarnation's environment.
   * @param config where the log lives and how big its segments are (a whole number of bytes, at least 512).
   */
  static async open(env: Env, config: CommitLogConfig): Promise<CommitLog> {
    // YOUR CODE HERE (L1.B)
    void env;
    void config;
    throw new NotImplemented("L1.B");
  }

  /**
   * Appends one message: decides its physical offset and queue offset, writes it (rolling to a new
   * segment first if it does not fit), and returns the record with its size.
   *
   * Contract: resolves once the bytes are written, so readable (not once they are durable: that is
   * flushTo's job). Offsets follow the rules in the header. The store timestamp is
   * `env.clock.now()`. A message
   * whose record exceeds maxRecordBytes is refused with MessageTooLargeError. If the write fails
   * (a full disk: DiskError ENOSPC), nothing changes: the same offsets go to the next append.
   *
   * Implementation hints:
   * - Concurrent appends must not interleave: the second must not choose its offset before the
   *   first has written. `this.serialize(async () => ...)` runs tasks one at a time, in call order.
   * - When may writtenOffset and the queue-offset table move forward: before or after the write?
   * - Rolling: write the end marker, create the next segment file, then think about what a power
   *   cut does to a file whose name was never made durable.
   * - `checkMessage` (provided, called first) refuses topics and queue ids the format cannot hold.
   *
   * @param message what the producer sent.
   */
  append(message: NewMessage): Promise<StoredRecord> {
    checkMessage(message);
    // YOUR CODE HERE (L1.B)
    throw new NotImplemented("L1.B");
  }

  /**
   * The record at `offset`.
   *
   * Contract: returns the record that starts at `offset` and says it lives there. Throws
   * OffsetOutOfRangeError when `offset` is below minOffset or at or past writtenOffset, and
   * RecordNotFoundError when no valid record starts there (inside a record, an end marker, bytes
   * that never verify). Never returns garbage.
   *
   * Implementation hints:
   * - readAt does the hard part.
   *
   * @param offset a physical offset.
   */
  async read(offset: number): Promise<StoredRecord> {
    // YOUR CODE HERE (L1.B)
    void offset;
    throw new NotImplemented("L1.B");
  }

  /**
   * What is at `offset`, verified: a record that decodes and says it lives at `offset`; an end
   * marker that reaches exactly the end of its segment; or `{ kind: "invalid" }` once
   * READ_ATTEMPTS_MAX reads all failed to find either.
   *
   * Contract: throws OffsetOutOfRangeError outside [minOffset, writtenOffset). Recovery (part E)
   * cuts the log at the first "invalid", so "invalid" must mean the bytes on disk are bad, not that
   * one read came back with a flipped bit.
   *
   * Implementation hints:
   * - You do not know a record's size before you read it. Its first 8 bytes tell you the size and
   *   whether it is a record or an end marker.
   * - A size that would run past the segment's end is already an answer.
   *
   * @param offset a physical offset in [minOffset, writtenOffset).
   */
  async readAt(offset: number): Promise<DecodeResult> {
    // YOUR CODE HERE (L1.B)
    void offset;
    throw new NotImplemented("L1.B");
  }

  /**
   * Every record from `from` (a record boundary; default minOffset) to writtenOffset, in order,
   * stepping over end markers into the next segment. Throws RecordNotFoundError at a position
   * where it finds neither.
   *
   * @param from where to start.
   */
  // biome-ignore lint/correctness/useYield: the stub yields nothing until you write it
  async *records(from = this.minOffset): AsyncGenerator<StoredRecord> {
    // YOUR CODE HERE (L1.B)
    void from;
    throw new NotImplemented("L1.B");
  }

  /**
   * Makes every byte below `offset` durable.
   *
   * Contract: when it resolves, every byte below min(offset, writtenOffset as it was when flushTo
   * was called) is durable, and flushedOffset is at least that. Rejects (with the DiskError) if an
   * fsync fails; flushedOffset then stays where it was. Concurrent calls are allowed. Once any
   * fsync of this log has failed, every flushTo rejects, including those already running: the
   * failure dropped unsynced pages, and a later fsync "succeeds" with nothing left to write.
   *
   * Implementation hints:
   * - fsync covers the writes that completed before it was called. Which bytes is that, exactly,
   *   and when do you read writtenOffset?
   * - Between flushedOffset and the target there may be more than one segment.
   *
   * @param offset the end of the bytes to make durable.
   */
  async flushTo(offset: number): Promise<void> {
    // YOUR CODE HERE (L1.D)
    void offset;
    throw new NotImplemented("L1.D");
  }

  /**
   * Cuts the log at `end`, a record boundary recovery found: everything from `end` on is removed.
   *
   * Contract: when it resolves, the segment holding `end` ends at `end` and every later segment is
   * gone, durably: a power loss from then on brings back none of the bytes or segments it removed,
   * and nothing below `end` is touched. writtenOffset becomes `end` (the next record goes where the
   * cut left the log's end) and flushedOffset at most `end` (so a later flushTo covers what is
   * appended past it). Safe to call again with the same `end` after a crash in the middle, even
   * when the first call's cut already shows in the files. Throws a RangeError, changing nothing,
   * when `end` is outside [minOffset, writtenOffset] (both ends allowed: a cut at writtenOffset
   * removes nothing, one at minOffset everything).
   *
   * Implementation hints:
   * - Suppose the truncation is still only in the page cache, new records are written past `end`,
   *   and the power goes. Which bytes might be in the file afterwards, and in what order?
   *
   * @param end where the valid log ends, in [minOffset, writtenOffset].
   */
  truncateTo(end: number): Promise<void> {
    // YOUR CODE HERE (L1.E)
    void end;
    throw new NotImplemented("L1.E");
  }

  /**
   * Retention: deletes segments, oldest first, whose records are all older than `retentionMs` at
   * `nowMs`, and returns how many it deleted.
   *
   * Contract: never deletes the active segment; never deletes a segment holding a record younger
   * than retentionMs; afterwards minOffset is the first remaining segment's base, and reads below
   * it throw OffsetOutOfRangeError.
   *
   * Implementation hints:
   * - How old is a segment's newest record? One read answers it for every segment but the active
   *   one.
   * - A power cut may forget some of the deletions. Which ones would you rather it forgot?
   *
   * @param nowMs the current time (env.clock.now()).
   * @param retentionMs how long a record is kept.
   */
  deleteExpiredSegments(nowMs: number, retentionMs: number): Promise<number> {
    // YOUR CODE HERE (L1.F)
    void nowMs;
    void retentionMs;
    throw new NotImplemented("L1.F");
  }
}
