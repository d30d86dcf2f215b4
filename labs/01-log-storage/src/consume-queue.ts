/**
 * Lab 01, part C: consume queues. This is your file.
 *
 * The commit log interleaves every topic and queue; a consume queue is the index that finds "the
 * n-th message of queue 2 of topic orders" without a scan. Per topic and queue, a sequence of
 * fixed-size entries, entry n describing the message with queue offset n:
 *
 *     entry := physicalOffset u64 | sizeBytes u32 | tagsHash u64      (CQ_ENTRY_BYTES = 20, big-endian)
 *
 * stored in files of config.entriesPerFile entries each, named by the byte offset of their first
 * entry (fileNameOf(firstEntry * 20)):
 *
 *     consumequeue/orders/2/00000000000000000000   entries 0 .. E-1
 *     consumequeue/orders/2/00000000000000000320   entries E .. 2E-1   (E = 16)
 *
 * (The layout is RocketMQ's, there for you to read the disk by: the grader checks what your
 * queues read back and what the next `open` believes, not what the files are called or hold byte
 * by byte.)
 *
 * The consume queues are derived data: everything in them can be rebuilt from the commit log. So
 * they are written without fsync on the append path, and after a crash they are rebuilt rather
 * than believed. Entries carry no checksum: a reader checks the record an entry leads to.
 *
 * Part C is graded with the grader playing the broker: it appends to the commit log and calls
 * `dispatch`, sometimes falls behind on purpose (appends it does not dispatch, or dispatches out
 * of order), sometimes writes an entry for a record the log does not have (what a power cut
 * leaves) or one that leads to the wrong record (what a flipped bit leaves), and calls `rebuild`,
 * as every boot does. It also closes a store cleanly (the log made durable, then `flush`), cuts
 * the power, and opens it again without a rebuild. Keep all state in the objects.
 */
import { type Env, NotImplemented } from "#lab";
import {
  type CommitLogApi,
  type ConsumeQueueConfig,
  type ConsumeQueueStoreApi,
  ConsumeQueueStoreBase,
  type QueueMessage,
  type StoredRecord,
} from "#labs/01-log-storage/provided.ts";

/**
 * Your consume queues. Their state (a `ConsumeQueue` per topic and queue: its folder, its files,
 * its nextOffset) and bookkeeping (nextOffset, nextOffsets, list, queueFor) come from
 * `ConsumeQueueStoreBase` in provided.ts: read it first. You may add fields and helper methods
 * (keep helpers `protected` or `private`); state of your own per queue can live in a
 * `Map<ConsumeQueue, ...>`.
 */
export class ConsumeQueueStore extends ConsumeQueueStoreBase implements ConsumeQueueStoreApi {
  /**
   * Opens every consume queue found under `consumequeue/`, believing its files: a queue's next
   * offset is where its last file ends (whole entries only). Throws a RangeError when
   * config.entriesPerFile is not a whole number of at least 1; 1 itself is accepted.
   *
   * Implementation hints:
   * - `disk.list` gives names; a topic folder holds queue-id folders, which hold the files.
   * - Build the object with `new this(env, config, commitLog)`; `queueFor` makes the per-queue state.
   *
   * @param env this incarnation's environment.
   * @param config where the queues live and how many entries a file holds (at least 1).
   * @param commitLog the log the entries point into.
   */
  static async open(env: Env, config: ConsumeQueueConfig, commitLog: CommitLogApi): Promise<ConsumeQueueStore> {
    // YOUR CODE HERE (L1.C)
    void env;
    void config;
    void commitLog;
    throw new NotImplemented("L1.C");
  }

  /**
   * Writes the index entry of a record just appended to the commit log, at the record's queue
   * offset, creating the queue's folder and file as needed. That offset is not always the queue's
   * next one: a dispatcher that fell behind leaves a gap and fills it later, in any order, and an
   * entry already written may be written again (it replaces the one there).
   *
   * Contract: afterwards nextOffset of that queue is at least queueOffset + 1, and read() finds the
   * entry. Whether it goes to its file now or later, in batches, is yours to choose (the reference
   * keeps the newest entries in memory and writes them 64 at a time); no fsync either way: a crash
   * is repaired by rebuild.
   *
   * @param stored the record and its size, as CommitLog.append returned them.
   */
  dispatch(stored: StoredRecord): Promise<void> {
    // YOUR CODE HERE (L1.C)
    void stored;
    throw new NotImplemented("L1.C");
  }

  /**
   * The message at `queueOffset` of a queue.
   *
   * Contract: a RangeError when queueOffset is not a whole number; null at or past the queue's end
   * (nextOffset); OffsetOutOfRangeError (from provided.ts) when the entry points below the commit
   * log's start (retention deleted it) or queueOffset is negative; otherwise the record the entry
   * leads to, with the entry's tag hash, checked: same topic, queue, queue offset, size and tag
   * hash. When they disagree, or no record starts where the entry points, read again (up to
   * READ_ATTEMPTS_MAX times); then throw CorruptIndexError (not OffsetOutOfRangeError: that one
   * tells a consumer the message is gone for good). Never another queue's message.
   * A lookup costs a constant number of disk reads, however long the queue. Part G's budget for
   * one lookup, with no faults: at most 6 disk reads, of at most the record's size plus 1,024 bytes
   * in all (room for the 20-byte entry, a header read or a read-ahead guess, and the record).
   *
   * Implementation hints:
   * - Where is entry n, without looking at any other entry?
   * - An entry has no checksum. How can a flipped bit in it hurt, and what catches each case?
   *
   * @param topic the topic.
   * @param queueId the queue.
   * @param queueOffset which message of the queue (0 for its first).
   */
  async read(topic: string, queueId: number, queueOffset: number): Promise<QueueMessage | null> {
    // YOUR CODE HERE (L1.C)
    void topic;
    void queueId;
    void queueOffset;
    throw new NotImplemented("L1.C");
  }

  /**
   * Makes every consume queue agree with the commit log: after it, each queue holds one entry for
   * each of its records from the log's start (minOffset), at the record's queue offset, and nothing
   * past its last record; nextOffset follows.
   *
   * Contract: entries below the log's start (records retention deleted) are kept: they hold the
   * queue's numbering, and queue offsets never go back. Safe to run again after a crash in the
   * middle. Used by recovery (part E) and graded here with a dispatcher that fell behind and with
   * entries that point past the end of the log.
   *
   * Implementation hints:
   * - `commitLog.records()` walks the log. Which queue offsets does each queue hold, from where?
   * - An index that got ahead of the log is as wrong as one that fell behind. What must happen to
   *   the files, not just to nextOffset, so that the next open (which believes the files) agrees?
   * - A queue with no record left in the log may still have entries: which of them are real?
   */
  async rebuild(): Promise<void> {
    // YOUR CODE HERE (L1.C)
    throw new NotImplemented("L1.C");
  }

  /**
   * Makes every consume-queue file durable, and the folders that name them: a clean close and
   * retention call it (retention, because once a segment is gone its queues' entries are the only
   * record of their numbering). Files a rebuild deleted must stay deleted after a power cut, since
   * the next open believes what it finds. A store with no queue has nothing to make durable.
   */
  async flush(): Promise<void> {
    // YOUR CODE HERE (L1.C)
    throw new NotImplemented("L1.C");
  }
}
