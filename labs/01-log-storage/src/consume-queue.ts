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
 * The consume queues are derived data: everything in them can be rebuilt from the commit log. So
 * they are written without fsync on the append path, and after a crash they are rebuilt rather
 * than believed. Entries carry no checksum: a reader checks the record an entry leads to.
 *
 * Part C is graded with the grader playing the broker: it appends to the commit log and calls
 * `dispatch`, sometimes falls behind on purpose (appends it does not dispatch), sometimes writes
 * an entry for a record the log does not have (what a power cut leaves), and calls `rebuild`, as
 * every boot does. Keep all state in the objects.
 */
import { crc32, type Disk, type Env, NotImplemented, utf8 } from "#lab";
import { type CommitLog, joinPath, queueKey, type StoredRecord } from "./commit-log.ts";
import type { MessageRecord } from "./record.ts";

export const CQ_ENTRY_BYTES = 20;

export interface ConsumeQueueConfig {
  /** The folder that holds `consumequeue/` ("" for the node's data directory). */
  dir: string;
  /** Entries per consume-queue file. */
  entriesPerFile: number;
}

/** A message read through its consume queue, with the tag hash its index entry holds. */
export interface QueueMessage extends MessageRecord {
  tagsHash: number;
}

/** The index entry at a queue offset does not lead to the record it should (after retries). */
export class CorruptIndexError extends Error {
  constructor(topic: string, queueId: number, queueOffset: number, reason: string) {
    super(`the index entry for ${topic}/${queueId} @${queueOffset} does not lead to its record: ${reason}`);
    this.name = "CorruptIndexError";
  }
}

/** The tag hash of a message: CRC-32 of its "TAGS" property, 0 when it has none. */
export function tagsHashOf(properties: Record<string, string>): number {
  const tags = properties.TAGS;
  return tags === undefined ? 0 : crc32(utf8(tags));
}

/** One topic and queue: where its files are and how many entries it holds. */
class ConsumeQueue {
  nextOffset = 0;
  /** Indexes (floor(n / entriesPerFile)) of the files that exist. */
  readonly files = new Set<number>();
  private chain: Promise<unknown> = Promise.resolve();
  // You may add fields here.

  constructor(
    readonly topic: string,
    readonly queueId: number,
    readonly dirPath: string,
  ) {}

  /** Runs writes to one queue one at a time (creating a file twice would fail). */
  serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

export class ConsumeQueueStore {
  protected readonly queues = new Map<string, ConsumeQueue>();
  protected readonly disk: Disk;
  protected readonly rootPath: string;
  // You may add fields here.

  /**
   * Opens every consume queue found under `consumequeue/`, believing its files: a queue's next
   * offset is where its last file ends (whole entries only).
   *
   * Implementation hints:
   * - `disk.list` gives names; a topic folder holds queue-id folders, which hold the files.
   * - Build the object with `new this(env, config, commitLog)`; `queueFor` makes the per-queue state.
   *
   * @param env this incarnation's environment.
   * @param config where the queues live and how many entries a file holds (at least 1).
   * @param commitLog the log the entries point into.
   */
  static async open(env: Env, config: ConsumeQueueConfig, commitLog: CommitLog): Promise<ConsumeQueueStore> {
    // YOUR CODE HERE (L1.C)
    void env;
    void config;
    void commitLog;
    throw new NotImplemented("L1.C");
  }

  constructor(
    env: Env,
    readonly config: ConsumeQueueConfig,
    protected readonly commitLog: CommitLog,
  ) {
    this.disk = env.disk;
    this.rootPath = joinPath(config.dir, "consumequeue");
  }

  /** How many entries the queue holds: the queue offset its next message will get. */
  nextOffset(topic: string, queueId: number): number {
    return this.queues.get(queueKey(topic, queueId))?.nextOffset ?? 0;
  }

  /** nextOffset of every queue, by queueKey: what the commit log needs to number new messages. */
  nextOffsets(): Map<string, number> {
    const offsets = new Map<string, number>();
    for (const [key, queue] of this.queues) offsets.set(key, queue.nextOffset);
    return offsets;
  }

  /** Every queue this store knows, with its next offset. */
  list(): Array<{ topic: string; queueId: number; nextOffset: number }> {
    return [...this.queues.values()].map((q) => ({ topic: q.topic, queueId: q.queueId, nextOffset: q.nextOffset }));
  }

  /**
   * Writes the index entry of a record just appended to the commit log, at the record's queue
   * offset, creating the queue's folder and file as needed.
   *
   * Contract: afterwards nextOffset of that queue is at least queueOffset + 1, and read() finds the
   * entry. Whether it goes to its file now or later, in batches, is yours to choose (the reference
   * keeps the newest entries in memory and writes them 64 at a time); no fsync either way: a crash
   * is repaired by rebuild. Writing an entry that is already there is harmless.
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
   * Contract: null at or past the queue's end (nextOffset); OffsetOutOfRangeError (from
   * commit-log.ts) when the entry points below the commit log's start (retention deleted it) or
   * queueOffset is negative; otherwise the record the entry leads to, with the entry's tag hash,
   * checked: same topic, queue, queue offset, size and tag hash. When they disagree, read again
   * (up to READ_ATTEMPTS_MAX times); then throw CorruptIndexError. Never another queue's message.
   * A lookup costs a constant number of disk reads, however long the queue (part G counts them).
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
   * record of their numbering).
   */
  async flush(): Promise<void> {
    // YOUR CODE HERE (L1.C)
    throw new NotImplemented("L1.C");
  }

  /** The state of one queue, made on first use. */
  protected queueFor(topic: string, queueId: number): ConsumeQueue {
    const key = queueKey(topic, queueId);
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = new ConsumeQueue(topic, queueId, joinPath(joinPath(this.rootPath, topic), String(queueId)));
      this.queues.set(key, queue);
    }
    return queue;
  }
}
