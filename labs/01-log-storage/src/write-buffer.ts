/**
 * Lab 01, part H: the write path through a write buffer. This is your file.
 *
 * Until now every append was one write call of one record. A write call costs a fixed part (the
 * system call, node:fs's promise: about 40 µs on the calibrated disk model) plus its bytes over
 * the page cache's bandwidth, so a thousand 1 KiB records cost 40 ms of fixed parts for one
 * megabyte the page cache could take in a quarter of a millisecond. Part H grades that in
 * simulated time, with a bound taken from the reference's own figure.
 *
 * BufferedDisk is a disk that gathers the writes to each file in memory and hands them to the
 * file in large calls. With `writeBufferBytes` set in the log's configuration, every part of the
 * log (commit log, consume queues, recovery) sees the disk through it. Each file's bytes pass
 * three positions (RocketMQ's names, in `DefaultMappedFile`):
 *
 *     flushed    <=  committed   <=  wrote
 *     |- durable -|- page cache --|- buffer (this process's memory) -|
 *
 * Bytes in the buffer die with the process: a crash loses them, where the page cache would have
 * kept them. The guide's section on part H has the table of what each flush mode loses.
 */
import { type Disk, NotImplemented } from "#lab";
import { DiskPassThrough } from "#labs/01-log-storage/provided.ts";

/**
 * A disk with a write buffer per file. It extends DiskPassThrough (provided.ts), which passes
 * every call to `this.disk`; override the calls a buffer changes.
 */
export class BufferedDisk extends DiskPassThrough implements Disk {
  // You may add fields here: for each file, its buffered bytes and its committed position.

  /**
   * @param disk where the buffers go (`this.disk` in your methods).
   * @param capacityBytes the most bytes one file's buffer may hold before it is written out.
   */
  constructor(
    disk: Disk,
    readonly capacityBytes: number,
  ) {
    super(disk);
    // YOUR CODE HERE (L1.H)
  }

  /**
   * Contract: a write that continues the file's buffer (it starts where the buffered bytes end)
   * and fits in it resolves at once, without a disk call. Any other write first writes the buffer
   * out (see fsync). Bytes reach the file in order, and at most capacityBytes in a call, except a
   * single write larger than that, which may go straight to the file.
   *
   * Implementation hints:
   * - Keep a copy of `data`: the caller may reuse its array.
   * - Part H's bound allows a handful of write calls for a thousand records, not one per record.
   */
  override write(path: string, offset: number, data: Uint8Array): Promise<void> {
    // YOUR CODE HERE (L1.H)
    throw new NotImplemented("L1.H");
  }

  /**
   * Contract: what the disk would return had every buffered write gone to the file: the file's
   * bytes with the buffered bytes over them, up to `length` bytes, fewer only at the end of what
   * the file and its buffer hold together. A range the buffer holds whole needs no disk call
   * (advice for speed, not graded: a read of the file too gives the same bytes).
   *
   * Implementation hints:
   * - The buffer may be written out while the disk read runs: take what you need from it first.
   */
  override read(path: string, offset: number, length: number): Promise<Uint8Array> {
    // YOUR CODE HERE (L1.H)
    throw new NotImplemented("L1.H");
  }

  /** Contract: the file's size as if every buffered write had gone to it. */
  override size(path: string): Promise<number> {
    // YOUR CODE HERE (L1.H)
    throw new NotImplemented("L1.H");
  }

  /**
   * Contract: resolves once every byte written to `path` before the call is durable. An fsync
   * covers only the writes that had completed when it started, so write the buffer out first,
   * and wait for that write to resolve. Only then does the committed position move past those
   * bytes: a write that fails leaves them in the buffer, to be written by the next attempt.
   *
   * Implementation hints:
   * - Two fsyncs of one file can overlap: the second must not start its fsync before the write
   *   out that carries its bytes has resolved, even if the first fsync started that write.
   * - RocketMQ's `CommitLog.flush` commits (`MappedFileQueue.commit`) before it flushes.
   */
  override fsync(path: string): Promise<void> {
    // YOUR CODE HERE (L1.H)
    throw new NotImplemented("L1.H");
  }

  /**
   * Contract: the buffer is written out first; then the file is cut or extended, and size() and
   * read() answer for the file as it is now.
   */
  override truncate(path: string, sizeBytes: number): Promise<void> {
    // YOUR CODE HERE (L1.H)
    throw new NotImplemented("L1.H");
  }

  /**
   * Contract: both files' buffers are written out first; then `to` holds what `from` held, and
   * `from` no longer exists (it may be created again, empty).
   */
  override rename(from: string, to: string): Promise<void> {
    // YOUR CODE HERE (L1.H)
    throw new NotImplemented("L1.H");
  }

  /**
   * Contract: the file's buffer is forgotten (its bytes need not reach a file about to vanish);
   * the file no longer exists, and may be created again, empty.
   */
  override unlink(path: string): Promise<void> {
    // YOUR CODE HERE (L1.H)
    throw new NotImplemented("L1.H");
  }
}
