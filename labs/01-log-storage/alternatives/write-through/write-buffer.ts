/**
 * Alternative write buffer, written from the stub's contract: each file gets one fixed block of
 * capacityBytes, allocated once (as RocketMQ's TransientStorePool lends a file one block), and the
 * buffered bytes always start at its first byte. Where the reference keeps a list of chunks and
 * serves a read wholly inside the buffer from memory, this one copies each write into the block
 * and always reads the file, then lays the block's bytes over the result. Commits of a file run
 * under a per-file lock (a promise chain); the block is shifted down only once the write resolved.
 */
import type { Disk } from "#lab";
import { DiskPassThrough } from "#labs/01-log-storage/provided.ts";

interface Block {
  /** File offset of block[0]: the committed position. */
  base: number;
  used: number;
  block: Uint8Array;
  lock: Promise<unknown>;
}

export class BufferedDisk extends DiskPassThrough implements Disk {
  private readonly files = new Map<string, Block>();

  constructor(
    disk: Disk,
    readonly capacityBytes: number,
  ) {
    super(disk);
  }

  override async write(path: string, offset: number, data: Uint8Array): Promise<void> {
    for (;;) {
      const file = this.files.get(path);
      if (file === undefined || file.used === 0) {
        if (data.length > this.capacityBytes) {
          if (file !== undefined) await file.lock; // a commit may still be writing older bytes
          await this.disk.write(path, offset, data);
          return;
        }
        const block = file?.block ?? new Uint8Array(this.capacityBytes);
        block.set(data, 0);
        this.files.set(path, { base: offset, used: data.length, block, lock: file?.lock ?? Promise.resolve() });
        return;
      }
      if (offset === file.base + file.used && file.used + data.length <= this.capacityBytes) {
        file.block.set(data, file.used);
        file.used += data.length;
        return;
      }
      await this.commit(path);
    }
  }

  override async read(path: string, offset: number, length: number): Promise<Uint8Array> {
    const file = this.files.get(path);
    const held = file === undefined ? null : { base: file.base, bytes: file.block.slice(0, file.used) };
    const fromFile = await this.disk.read(path, offset, length);
    if (held === null || held.bytes.length === 0) return fromFile;
    const end = Math.min(offset + length, Math.max(offset + fromFile.length, held.base + held.bytes.length));
    if (end <= offset) return fromFile;
    const out = new Uint8Array(end - offset);
    out.set(fromFile.subarray(0, out.length));
    for (let at = Math.max(offset, held.base); at < Math.min(end, held.base + held.bytes.length); at++) {
      out[at - offset] = held.bytes[at - held.base] as number;
    }
    return out;
  }

  override async size(path: string): Promise<number> {
    const onDisk = await this.disk.size(path);
    const file = this.files.get(path);
    return file === undefined ? onDisk : Math.max(onDisk, file.base + file.used);
  }

  override async fsync(path: string): Promise<void> {
    await this.commit(path);
    await this.disk.fsync(path);
  }

  override async truncate(path: string, sizeBytes: number): Promise<void> {
    await this.commit(path);
    this.files.delete(path); // its base is the old end, which the cut may have moved
    await this.disk.truncate(path, sizeBytes);
  }

  override async rename(from: string, to: string): Promise<void> {
    await this.commit(from);
    await this.commit(to);
    this.files.delete(from);
    this.files.delete(to);
    await this.disk.rename(from, to);
  }

  override async unlink(path: string): Promise<void> {
    this.files.delete(path);
    await this.disk.unlink(path);
  }

  /** Writes the block out under the file's lock; shifts it down only once the write resolved. */
  private commit(path: string): Promise<void> {
    const file = this.files.get(path);
    if (file === undefined) return Promise.resolve();
    const run = file.lock.then(async () => {
      if (this.files.get(path) !== file || file.used === 0) return;
      const count = file.used;
      await this.disk.write(path, file.base, file.block.slice(0, count));
      file.block.copyWithin(0, count, file.used);
      file.used -= count;
      file.base += count;
    });
    file.lock = run.catch(() => undefined);
    return run;
  }
}
