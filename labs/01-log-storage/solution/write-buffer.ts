/**
 * Lab 01 reference solution, part H: the write path through a write buffer.
 *
 * Without a buffer every append is one write call of one record: on the calibrated disk model a
 * call costs about 40 µs whatever its size, so a thousand 1 KiB records cost 40 ms of calls for
 * one megabyte that the page cache could take in a quarter of a millisecond. This disk gathers the
 * writes to each file in memory and hands them to the file in large calls.
 *
 * Each file has three positions, RocketMQ's names for them (`DefaultMappedFile`):
 *
 *     flushed    <=  committed   <=  wrote
 *     |- durable -|- page cache --|- buffer (this process's memory) -|
 *
 *   wrote      end of the bytes handed to write(): in the buffer, readable through this disk
 *   committed  end of the bytes whose write call to the file has resolved (survive a crash)
 *   flushed    end of the bytes an fsync covered (survive a power cut): the commit log's
 *              flushedOffset, kept by the log itself
 *
 * The buffer reaches the file when it is full, when a write does not continue it, and before
 * anything else touches the file that needs its bytes there: an fsync above all (an fsync covers
 * only writes that completed before it started), a truncate, a rename. `committed` moves only
 * once the write call resolved: until then the bytes exist nowhere but in the buffer, and a
 * failed write must leave them there to be tried again.
 */
import type { Disk } from "#lab";
import { DiskPassThrough } from "#labs/01-log-storage/provided.ts";

/** One file's buffer: the bytes [committed, wrote) of the file, not yet handed to it. */
interface FileBuffer {
  committed: number;
  /** Chunks in file order; together they hold wrote - committed bytes. */
  chunks: Uint8Array[];
  bytes: number;
  /** The commit in progress (commits of one file run one after another). */
  committing: Promise<void>;
}

export class BufferedDisk extends DiskPassThrough implements Disk {
  protected readonly buffers = new Map<string, FileBuffer>();

  /**
   * @param disk where the buffers go.
   * @param capacityBytes the most bytes one file's buffer holds before it is written out.
   */
  constructor(
    disk: Disk,
    readonly capacityBytes: number,
  ) {
    super(disk);
    if (!(capacityBytes > 0)) throw new RangeError(`capacityBytes must be > 0, not ${capacityBytes}`);
  }

  override async write(path: string, offset: number, data: Uint8Array): Promise<void> {
    const buffer = this.buffers.get(path);
    const continues = buffer !== undefined && offset === buffer.committed + buffer.bytes;
    if (buffer !== undefined && (!continues || buffer.bytes + data.length > this.capacityBytes)) {
      // A write the buffer cannot take: write the buffer out first (it may free the room).
      await this.commit(path);
    }
    const now = this.buffers.get(path);
    if (now !== undefined && offset === now.committed + now.bytes && now.bytes + data.length <= this.capacityBytes) {
      now.chunks.push(data.slice());
      now.bytes += data.length;
      return;
    }
    if (now !== undefined && now.bytes > 0) return this.write(path, offset, data); // others wrote meanwhile
    if (data.length > this.capacityBytes) return this.disk.write(path, offset, data); // too big for any buffer
    this.buffers.set(path, {
      committed: offset,
      chunks: [data.slice()],
      bytes: data.length,
      committing: Promise.resolve(),
    });
  }

  override async read(path: string, offset: number, length: number): Promise<Uint8Array> {
    // What the buffer holds now, before waiting: its bytes may be committed and dropped meanwhile.
    const buffer = this.buffers.get(path);
    const held = buffer === undefined ? null : { from: buffer.committed, bytes: concat(buffer.chunks, buffer.bytes) };
    const end = offset + length;
    if (held !== null && offset >= held.from && end <= held.from + held.bytes.length) {
      return held.bytes.slice(offset - held.from, end - held.from); // all of it in memory: no disk call
    }
    const fromFile = await this.disk.read(path, offset, length);
    if (held === null || held.bytes.length === 0) return fromFile;
    const heldEnd = held.from + held.bytes.length;
    const resultEnd = Math.min(end, Math.max(offset + fromFile.length, heldEnd));
    if (resultEnd <= offset) return fromFile;
    const result = new Uint8Array(resultEnd - offset);
    result.set(fromFile.subarray(0, resultEnd - offset));
    const lo = Math.max(offset, held.from);
    const hi = Math.min(resultEnd, heldEnd);
    if (lo < hi) result.set(held.bytes.subarray(lo - held.from, hi - held.from), lo - offset);
    return result;
  }

  override async size(path: string): Promise<number> {
    const fileBytes = await this.disk.size(path);
    const buffer = this.buffers.get(path);
    return buffer === undefined ? fileBytes : Math.max(fileBytes, buffer.committed + buffer.bytes);
  }

  override async fsync(path: string): Promise<void> {
    await this.commit(path);
    await this.disk.fsync(path);
  }

  override async truncate(path: string, sizeBytes: number): Promise<void> {
    await this.commit(path);
    // The buffer is empty now, but its committed position is the old end: forget it, or size()
    // would still count bytes the cut removed. The next write starts a buffer where it lands.
    this.buffers.delete(path);
    await this.disk.truncate(path, sizeBytes);
  }

  override async rename(from: string, to: string): Promise<void> {
    await this.commit(from);
    await this.commit(to);
    // Both names change meaning: `to` gets from's bytes, and `from` may be created afresh.
    this.buffers.delete(from);
    this.buffers.delete(to);
    await this.disk.rename(from, to);
  }

  override async unlink(path: string): Promise<void> {
    // Bytes of a file about to vanish need not reach it.
    this.buffers.delete(path);
    await this.disk.unlink(path);
  }

  /**
   * Writes the file's buffer out in one call and moves `committed` past it once the call
   * resolved. Resolves when every byte buffered before the call is in the file. Commits of one
   * file run one after another; writes that arrive meanwhile wait in the buffer for the next.
   */
  protected commit(path: string): Promise<void> {
    const buffer = this.buffers.get(path);
    if (buffer === undefined) return Promise.resolve();
    const run = buffer.committing.then(async () => {
      if (this.buffers.get(path) !== buffer || buffer.bytes === 0) return;
      const taken = buffer.chunks.length;
      const bytes = concat(buffer.chunks.slice(0, taken), buffer.bytes);
      await this.disk.write(path, buffer.committed, bytes);
      // -- the commit point: the bytes are in the page cache; only now may the buffer drop them.
      buffer.chunks.splice(0, taken);
      buffer.bytes -= bytes.length;
      buffer.committed += bytes.length;
    });
    buffer.committing = run.catch(() => undefined); // a failed commit leaves its bytes for the next
    return run;
  }
}

function concat(chunks: Uint8Array[], totalBytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(totalBytes);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
