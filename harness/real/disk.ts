/**
 * The real disk: the `Disk` interface over node:fs, rooted at one directory.
 *
 * Same contract as the simulated disk, kept by the operating system instead of the model. Open
 * file handles are cached per path (opening a file per write would dominate any benchmark) and
 * closed when the path is renamed or deleted. Node's error codes map onto `DiskError` codes so that
 * lab code handles real failures the way it handles simulated ones.
 */
import { constants, type FileHandle, mkdir, open, readdir, rename, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { type Disk, DiskError, type DiskErrorCode } from "../env.ts";

const CODES: ReadonlySet<string> = new Set(["ENOENT", "EEXIST", "ENOTDIR", "EISDIR", "ENOTEMPTY", "EIO", "ENOSPC"]);

export class RealDisk implements Disk {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(readonly root: string) {}

  /** Closes every cached file handle. */
  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map(async (h) => (await h).close().catch(() => {})));
  }

  list(dir: string): Promise<string[]> {
    return this.op("list", dir, async (full) => (await readdir(full)).sort());
  }

  exists(p: string): Promise<boolean> {
    return this.op("exists", p, async (full) => {
      try {
        await stat(full);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
        throw error;
      }
    });
  }

  mkdir(p: string): Promise<void> {
    return this.op("mkdir", p, async (full) => {
      await mkdir(full, { recursive: true });
    });
  }

  create(p: string): Promise<void> {
    return this.op("create", p, async (full) => {
      const handle = await open(full, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR);
      this.handles.set(full, Promise.resolve(handle));
    });
  }

  write(p: string, offset: number, data: Uint8Array): Promise<void> {
    return this.op("write", p, async (full) => {
      const handle = await this.handle(full);
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, offset + written);
        written += bytesWritten;
      }
    });
  }

  read(p: string, offset: number, length: number): Promise<Uint8Array> {
    return this.op("read", p, async (full) => {
      const handle = await this.handle(full);
      const buffer = new Uint8Array(length);
      let total = 0;
      while (total < length) {
        const { bytesRead } = await handle.read(buffer, total, length - total, offset + total);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      return buffer.subarray(0, total);
    });
  }

  size(p: string): Promise<number> {
    return this.op("size", p, async (full) => {
      const info = await stat(full);
      if (info.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
      return info.size;
    });
  }

  truncate(p: string, sizeBytes: number): Promise<void> {
    return this.op("truncate", p, async (full) => (await this.handle(full)).truncate(sizeBytes));
  }

  fsync(p: string): Promise<void> {
    return this.op("fsync", p, async (full) => (await this.handle(full)).sync());
  }

  fsyncDir(dir: string): Promise<void> {
    return this.op("fsyncDir", dir, async (full) => {
      const handle = await open(full, constants.O_RDONLY);
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.op("rename", from, async (fullFrom) => {
      const fullTo = this.resolve(to);
      await this.forget(fullFrom);
      await this.forget(fullTo);
      await rename(fullFrom, fullTo);
    });
  }

  unlink(p: string): Promise<void> {
    return this.op("unlink", p, async (full) => {
      await this.forget(full);
      const info = await stat(full);
      if (info.isDirectory()) await rmdir(full);
      else await unlink(full);
    });
  }

  private resolve(p: string): string {
    const full = path.resolve(this.root, p.replace(/^\/+/, ""));
    if (full !== this.root && !full.startsWith(this.root + path.sep)) {
      throw new RangeError(`path '${p}' leaves the node's data directory`);
    }
    return full;
  }

  private handle(full: string): Promise<FileHandle> {
    let handle = this.handles.get(full);
    if (handle === undefined) {
      handle = open(full, constants.O_RDWR);
      this.handles.set(full, handle);
      handle.catch(() => this.handles.delete(full));
    }
    return handle;
  }

  private async forget(full: string): Promise<void> {
    const handle = this.handles.get(full);
    if (handle === undefined) return;
    this.handles.delete(full);
    await (await handle.catch(() => null))?.close();
  }

  private async op<T>(operation: string, p: string, fn: (full: string) => Promise<T>): Promise<T> {
    const full = this.resolve(p);
    try {
      return await fn(full);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== undefined && CODES.has(code)) throw new DiskError(code as DiskErrorCode, operation, p);
      throw error;
    }
  }
}
