/**
 * Lab 01 reference solution, part C: consume queues.
 *
 * The commit log interleaves every topic and queue, so "the 5th message of queue 2 of topic
 * orders" is not somewhere a reader could find without scanning. A consume queue is the index
 * that answers it: per topic and queue, a file of fixed-size entries, entry n describing the n-th
 * message of that queue (its queue offset n):
 *
 *     entry := physicalOffset u64 | sizeBytes u32 | tagsHash u64        (20 bytes, big-endian)
 *
 *     consumequeue/orders/2/00000000000000000000   entries 0 .. E-1   (E = entriesPerFile)
 *     consumequeue/orders/2/00000000000000000320   entries E .. 2E-1  (named by byte offset, E = 16)
 *
 * Entry n sits at byte (n mod E) * 20 of file floor(n / E): finding it costs one read, however
 * long the queue. That is RocketMQ's ConsumeQueue exactly (`ConsumeQueue.java`, CQ_STORE_UNIT_SIZE =
 * 20, 300,000 entries a file). The tag hash lets a broker filter by tag without reading the log.
 * Kafka needs no such index, because a partition's log holds one queue only and its offsets are
 * its own; its `.index` files are sparse (an entry every 4 KiB), searched by binary search, then
 * scanned (`OffsetIndex.java`).
 *
 * The consume queue is derived data: everything in it can be rebuilt from the commit log, so it
 * is written without fsync, and after a crash it is rebuilt (`rebuild`) rather than trusted. For
 * the same reason its newest entries may wait in memory and go to disk 64 at a time: a reader finds
 * them there as well as on disk, and a crash loses nothing a rebuild does not restore. RocketMQ gets
 * the same effect from memory-mapping the file: writing an entry is a copy into memory, and the
 * kernel writes the pages back later. (One disk write per append instead of two is what lets the
 * log keep up with raw sequential writes in the benchmark.)
 *
 * RocketMQ also builds the queues asynchronously (`ReputMessageService` in `DefaultMessageStore.java`
 * reads the commit log behind the writers and dispatches each record), so they may lag the log by
 * a few milliseconds; here the log's append path dispatches each record right after writing it
 * (provided.ts, section 5), and the lag that remains is the one a crash leaves behind.
 *
 * Entries carry no checksum, so a reader checks the record an entry points at: same topic, queue,
 * queue offset, size and tag hash. A misread entry then costs a retry, never a wrong message.
 */
import type { Env } from "#lab";
import {
  type CommitLogApi,
  type ConsumeQueue,
  type ConsumeQueueConfig,
  type ConsumeQueueStoreApi,
  ConsumeQueueStoreBase,
  CorruptIndexError,
  CQ_ENTRY_BYTES,
  fileNameOf,
  joinPath,
  OffsetOutOfRangeError,
  type QueueMessage,
  queueKey,
  READ_ATTEMPTS_MAX,
  RecordNotFoundError,
  type StoredRecord,
  tagsHashOf,
} from "#labs/01-log-storage/provided.ts";

/** Entries of a queue wait in memory until this many are ready, then go to disk in one write. */
const WRITE_BATCH_ENTRIES = 64;

/**
 * The queues' state (each queue's folder, files and next offset) comes from
 * `ConsumeQueueStoreBase` in provided.ts; this class adds the index itself.
 */
export class ConsumeQueueStore extends ConsumeQueueStoreBase implements ConsumeQueueStoreApi {
  /**
   * Per queue, its newest entries, encoded and not yet written: they end at the queue's nextOffset,
   * so entries [nextOffset - unwritten.length, nextOffset) are here and every one below is on disk.
   */
  private readonly unwritten = new Map<ConsumeQueue, Uint8Array[]>();

  /** Opens every consume queue found on disk, believing its files' sizes (see rebuild for when not to). */
  static async open(env: Env, config: ConsumeQueueConfig, commitLog: CommitLogApi): Promise<ConsumeQueueStore> {
    if (!Number.isInteger(config.entriesPerFile) || config.entriesPerFile < 1) {
      throw new RangeError(`entriesPerFile must be a whole number >= 1, not ${config.entriesPerFile}`);
    }
    const store = new this(env, config, commitLog);
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    if (!(await this.disk.exists(this.rootPath))) return;
    for (const topic of await this.disk.list(this.rootPath)) {
      for (const id of await this.disk.list(joinPath(this.rootPath, topic))) {
        if (!/^\d+$/.test(id)) continue;
        const queue = this.queueFor(topic, Number(id));
        for (const name of await this.disk.list(queue.dirPath)) {
          if (!/^\d{20}$/.test(name)) continue;
          const index = Number(name) / CQ_ENTRY_BYTES / this.config.entriesPerFile;
          queue.files.add(index);
          const entries = Math.floor((await this.disk.size(joinPath(queue.dirPath, name))) / CQ_ENTRY_BYTES);
          queue.nextOffset = Math.max(queue.nextOffset, index * this.config.entriesPerFile + entries);
        }
      }
    }
  }

  /** Adds the index entry of a record just appended to the commit log, at its queue offset. */
  dispatch(stored: StoredRecord): Promise<void> {
    const { record } = stored;
    const queue = this.queueFor(record.topic, record.queueId);
    const entry = encodeEntry(stored);
    return queue.serialize(async () => {
      if (record.queueOffset === queue.nextOffset) {
        const waiting = this.unwrittenOf(queue);
        waiting.push(entry);
        queue.nextOffset++;
        if (waiting.length >= WRITE_BATCH_ENTRIES) await this.writeUnwritten(queue);
        return;
      }
      // Not the next entry (a rewrite, or a gap a lagging dispatcher left): write it in place.
      await this.writeUnwritten(queue);
      await this.writeEntries(queue, record.queueOffset, [entry]);
      queue.nextOffset = Math.max(queue.nextOffset, record.queueOffset + 1);
    });
  }

  /**
   * The message at `queueOffset` of a queue: null at or past its end; OffsetOutOfRangeError if
   * retention deleted it. Its record is checked against the entry, and both are re-read when
   * they disagree, so a misread never returns the wrong message.
   */
  async read(topic: string, queueId: number, queueOffset: number): Promise<QueueMessage | null> {
    if (!Number.isSafeInteger(queueOffset)) throw new RangeError(`queue offset ${queueOffset} is not a whole number`);
    const queue = this.queues.get(queueKey(topic, queueId));
    if (queueOffset < 0) throw new OffsetOutOfRangeError(queueOffset, "queue offsets start at 0");
    if (queue === undefined || queueOffset >= queue.nextOffset) return null;
    let reason = "";
    let belowStart: string | null = null;
    for (let attempt = 0; attempt < READ_ATTEMPTS_MAX; attempt++) {
      const bytes = await this.entryBytes(queue, queueOffset);
      if (bytes.length < CQ_ENTRY_BYTES) {
        reason = "the index file ends before this entry";
        continue;
      }
      const entry = decodeEntry(bytes);
      if (entry.physicalOffset < this.commitLog.minOffset) {
        // Retention deleted the record. Believe it once two reads of the entry agree.
        const seen = bytes.join(",");
        if (belowStart === seen) {
          throw new OffsetOutOfRangeError(
            queueOffset,
            `retention deleted the record of ${topic}/${queueId} @${queueOffset}`,
          );
        }
        belowStart = seen;
        continue;
      }
      let stored: StoredRecord;
      try {
        stored = await this.commitLog.read(entry.physicalOffset);
      } catch (error) {
        if (!(error instanceof OffsetOutOfRangeError || error instanceof RecordNotFoundError)) throw error;
        reason = error.message;
        continue;
      }
      const r = stored.record;
      if (this.leadsToItsRecord(entry, stored, topic, queueId, queueOffset)) return { ...r, tagsHash: entry.tagsHash };
      reason = `the entry points at ${r.topic}/${r.queueId} @${r.queueOffset} (${stored.sizeBytes} bytes)`;
    }
    throw new CorruptIndexError(topic, queueId, queueOffset, reason);
  }

  /**
   * Whether the record an entry led to is the one the entry stands for. The entry has no checksum
   * of its own, so this is its checksum: a flipped bit in its offset lands on another record (or on
   * none), and one in its size or tag hash disagrees with the record it found.
   */
  protected leadsToItsRecord(
    entry: IndexEntry,
    stored: StoredRecord,
    topic: string,
    queueId: number,
    queueOffset: number,
  ): boolean {
    const r = stored.record;
    return (
      r.topic === topic &&
      r.queueId === queueId &&
      r.queueOffset === queueOffset &&
      stored.sizeBytes === entry.sizeBytes &&
      tagsHashOf(r.properties) === entry.tagsHash
    );
  }

  /** Entry n: from memory if it is not written yet, else with one read of its file. */
  private entryBytes(queue: ConsumeQueue, queueOffset: number): Promise<Uint8Array> {
    const written = this.writtenOf(queue);
    const waiting = this.unwritten.get(queue)?.[queueOffset - written];
    if (queueOffset >= written && waiting !== undefined) return Promise.resolve(waiting);
    const { path, position } = this.locate(queue, queueOffset);
    return this.disk.read(path, position, CQ_ENTRY_BYTES);
  }

  /**
   * Makes every consume queue agree with the commit log, after a crash or when a dispatcher fell
   * behind: one entry for each record from the log's start, at its queue offset, and nothing past
   * a queue's last record. Entries below the log's start point at records retention deleted;
   * they are kept, because they hold the queue's numbering (its offsets never go back).
   * Safe to run again if it is interrupted: it only writes what the log dictates.
   */
  async rebuild(): Promise<void> {
    const fromLog = new Map<string, { first: number; entries: Uint8Array[] }>();
    for await (const stored of this.commitLog.records()) {
      const { topic, queueId, queueOffset, physicalOffset } = stored.record;
      const key = queueKey(topic, queueId);
      const seen = fromLog.get(key);
      if (seen === undefined) {
        fromLog.set(key, { first: queueOffset, entries: [encodeEntry(stored)] });
        this.queueFor(topic, queueId);
      } else if (queueOffset === seen.first + seen.entries.length) seen.entries.push(encodeEntry(stored));
      else throw new Error(`the log skips queue offsets in ${key} at ${physicalOffset}`);
    }
    for (const [key, queue] of this.queues) {
      const seen = fromLog.get(key);
      await queue.serialize(async () => {
        // What the log says replaces whatever was waiting.
        queue.nextOffset = this.writtenOf(queue);
        this.unwritten.delete(queue);
        if (seen === undefined) {
          await this.cut(queue, await this.firstEntryAtOrPastLogStart(queue));
          return;
        }
        await this.writeEntries(queue, seen.first, seen.entries);
        await this.cut(queue, seen.first + seen.entries.length);
      });
    }
  }

  /** Makes every consume-queue file, and the directories that name them, durable. */
  async flush(): Promise<void> {
    const dirs = new Set<string>();
    for (const queue of this.queues.values()) {
      await queue.serialize(() => this.writeUnwritten(queue));
      for (const index of queue.files)
        await this.disk.fsync(this.locate(queue, index * this.config.entriesPerFile).path);
      // A queue whose files a rebuild removed keeps its folder, and the removals are in that
      // folder: until it is synced, a power cut can bring the files back, and open believes them.
      if (queue.files.size === 0 && !(await this.disk.exists(queue.dirPath))) continue;
      dirs.add(queue.dirPath);
      dirs.add(joinPath(this.rootPath, queue.topic));
    }
    if (dirs.size === 0) return;
    for (const dir of [...dirs].sort().reverse()) await this.disk.fsyncDir(dir);
    await this.disk.fsyncDir(this.rootPath);
    await this.disk.fsyncDir(this.config.dir);
  }

  protected locate(queue: ConsumeQueue, queueOffset: number): { index: number; path: string; position: number } {
    const perFile = this.config.entriesPerFile;
    const index = Math.floor(queueOffset / perFile);
    const path = joinPath(queue.dirPath, fileNameOf(index * perFile * CQ_ENTRY_BYTES));
    return { index, path, position: (queueOffset % perFile) * CQ_ENTRY_BYTES };
  }

  /** The entries of `queue` waiting in memory (an empty list when none). */
  protected unwrittenOf(queue: ConsumeQueue): Uint8Array[] {
    let waiting = this.unwritten.get(queue);
    if (waiting === undefined) {
      waiting = [];
      this.unwritten.set(queue, waiting);
    }
    return waiting;
  }

  /** How many entries of `queue` are in its files: every one below this is on disk. */
  private writtenOf(queue: ConsumeQueue): number {
    return queue.nextOffset - (this.unwritten.get(queue)?.length ?? 0);
  }

  /** Writes the entries waiting in memory, if any. */
  protected async writeUnwritten(queue: ConsumeQueue): Promise<void> {
    const waiting = this.unwritten.get(queue);
    if (waiting === undefined || waiting.length === 0) return;
    const entries = waiting.slice();
    await this.writeEntries(queue, this.writtenOf(queue), entries);
    // Only now: until the write completed, readers found these entries in memory.
    waiting.splice(0, entries.length);
  }

  /** Writes `entries` (encoded) from queue offset `first` on, one write per file. */
  protected async writeEntries(queue: ConsumeQueue, first: number, entries: Uint8Array[]): Promise<void> {
    let i = 0;
    while (i < entries.length) {
      const { index, path, position } = this.locate(queue, first + i);
      const count = Math.min(entries.length - i, this.config.entriesPerFile - position / CQ_ENTRY_BYTES);
      const bytes = new Uint8Array(count * CQ_ENTRY_BYTES);
      for (let j = 0; j < count; j++) bytes.set(entries[i + j] as Uint8Array, j * CQ_ENTRY_BYTES);
      if (!queue.files.has(index)) {
        if (!(await this.disk.exists(path))) {
          await this.disk.mkdir(queue.dirPath);
          await this.disk.create(path);
        }
        queue.files.add(index);
      }
      await this.disk.write(path, position, bytes);
      i += count;
    }
  }

  /** Removes every entry from `queueOffset` on: later files deleted, the file holding it cut. */
  protected async cut(queue: ConsumeQueue, queueOffset: number): Promise<void> {
    const perFile = this.config.entriesPerFile;
    for (const index of [...queue.files].sort((a, b) => b - a)) {
      const { path } = this.locate(queue, index * perFile);
      const keepBytes = (queueOffset - index * perFile) * CQ_ENTRY_BYTES;
      if (keepBytes <= 0) {
        await this.disk.unlink(path);
        queue.files.delete(index);
      } else if (keepBytes < perFile * CQ_ENTRY_BYTES && (await this.disk.size(path)) > keepBytes) {
        await this.disk.truncate(path, keepBytes);
      }
    }
    queue.nextOffset = queueOffset;
  }

  /** For a queue with no record in the log: the first entry that claims a record the log does not have. */
  protected async firstEntryAtOrPastLogStart(queue: ConsumeQueue): Promise<number> {
    const perFile = this.config.entriesPerFile;
    for (const index of [...queue.files].sort((a, b) => a - b)) {
      const { path } = this.locate(queue, index * perFile);
      const bytes = await this.disk.read(path, 0, perFile * CQ_ENTRY_BYTES);
      for (let at = 0; at + CQ_ENTRY_BYTES <= bytes.length; at += CQ_ENTRY_BYTES) {
        const entry = decodeEntry(bytes.subarray(at, at + CQ_ENTRY_BYTES));
        if (entry.physicalOffset >= this.commitLog.minOffset) return index * perFile + at / CQ_ENTRY_BYTES;
      }
      if (bytes.length < perFile * CQ_ENTRY_BYTES) return index * perFile + Math.floor(bytes.length / CQ_ENTRY_BYTES);
    }
    return queue.nextOffset;
  }
}

/** The 20 bytes of the index entry for a record. */
export function encodeEntry(stored: StoredRecord): Uint8Array {
  const bytes = new Uint8Array(CQ_ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  const offset = stored.record.physicalOffset;
  view.setUint32(0, Math.floor(offset / 0x1_0000_0000));
  view.setUint32(4, offset >>> 0);
  view.setUint32(8, stored.sizeBytes);
  view.setUint32(16, tagsHashOf(stored.record.properties));
  return bytes;
}

/** An index entry, decoded. */
export interface IndexEntry {
  physicalOffset: number;
  sizeBytes: number;
  tagsHash: number;
}

function decodeEntry(bytes: Uint8Array): IndexEntry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    physicalOffset: view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4),
    sizeBytes: view.getUint32(8),
    // The high half of the 8-byte field stays zero: our hash is 32 bits (RocketMQ stores a Java long).
    tagsHash: view.getUint32(12) * 0x1_0000_0000 + view.getUint32(16),
  };
}
