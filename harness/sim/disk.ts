/**
 * The `Disk` an incarnation sees: the disk model plus time.
 *
 * Every operation takes simulated time and takes effect when it completes, so a crash can land
 * between any two steps of a protocol. Data operations (read, write, truncate, metadata) pass
 * through one FIFO queue in call order, like a page cache with a lock per file; flushes (fsync,
 * fsyncDir) pass through another, one at a time, because a device flushes its cache serially.
 * That second queue is why one fsync per message is slow and group commit is fast.
 *
 * An operation of a crashed incarnation never completes and has no effect: a zombie's promises
 * never settle.
 */
import { crc32 } from "node:zlib";
import { type Disk, DiskError } from "../env.ts";
import { type DiskModel, normalizePath } from "./disk-model.ts";
import { drawLatency, type LatencyMs } from "./latency.ts";
import type { SimRng } from "./rng.ts";

/** How fast a simulated disk is. */
export interface DiskProfile {
  readMs: LatencyMs;
  writeMs: LatencyMs;
  metadataMs: LatencyMs;
  fsyncMs: LatencyMs;
}

/** A fast SSD-like default: page-cache operations in microseconds, a flush in about a millisecond. */
export const defaultDiskProfile: DiskProfile = {
  readMs: [0.005, 0.03],
  writeMs: [0.005, 0.03],
  metadataMs: [0.005, 0.03],
  fsyncMs: [0.5, 1.5],
};

/** What the handle needs from the world around it. */
export interface DiskHost {
  nowMs(): number;
  /** Schedules `fn` at `atMs` on the node's behalf; it runs only while the incarnation lives. */
  scheduleForIncarnation(atMs: number, label: string, fn: () => void): void;
  trace(kind: string, detail: string): void;
  /**
   * Called right after a call that changes the disk took effect, before its caller hears of it: a
   * fault plan may crash or pause the node at exactly this point. Says what became of the caller.
   */
  afterChange(label: string): "goOn" | "dead" | "paused";
}

/** Queue positions for one node's disk, shared by its incarnations. */
export interface DiskQueues {
  ioFreeAtMs: number;
  flushFreeAtMs: number;
}

export class SimDisk implements Disk {
  constructor(
    private readonly model: DiskModel,
    private readonly queues: DiskQueues,
    private readonly profile: DiskProfile,
    private readonly rng: SimRng,
    private readonly host: DiskHost,
  ) {}

  list(dir: string): Promise<string[]> {
    const d = normalizePath(dir);
    return this.io("metadata", `list ${d === "" ? "/" : d}`, () => this.model.list(d), false);
  }

  exists(path: string): Promise<boolean> {
    const p = normalizePath(path);
    return this.io("metadata", `exists ${p}`, () => this.model.exists(p), false);
  }

  mkdir(path: string): Promise<void> {
    const p = normalizePath(path);
    return this.io("metadata", `mkdir ${p}`, () => this.model.mkdir(p));
  }

  create(path: string): Promise<void> {
    const p = normalizePath(path);
    return this.io("metadata", `create ${p}`, () => this.model.create(p));
  }

  write(path: string, offset: number, data: Uint8Array): Promise<void> {
    const p = normalizePath(path);
    const bad = checkRange("write", p, offset, data.length);
    if (bad) return Promise.reject(bad);
    // Copy now: the caller may reuse its buffer as soon as write() returns, as with node:fs.
    const copy = data.slice();
    // The label carries the data's CRC, so that the trace hash covers what was written, not only where.
    const label = `write ${p} @${offset} +${copy.length} crc ${(crc32(copy) >>> 0).toString(16)}`;
    return this.io("write", label, () => this.model.write(p, offset, copy));
  }

  read(path: string, offset: number, length: number): Promise<Uint8Array> {
    const p = normalizePath(path);
    const bad = checkRange("read", p, offset, length);
    if (bad) return Promise.reject(bad);
    return this.io(
      "read",
      `read ${p} @${offset} +${length}`,
      () => {
        const { data, flipped } = this.model.read(p, offset, length, this.rng);
        if (flipped) this.host.trace("fault", `read of ${p} @${offset} returned a flipped bit`);
        return data;
      },
      false,
    );
  }

  size(path: string): Promise<number> {
    const p = normalizePath(path);
    return this.io("metadata", `size ${p}`, () => this.model.size(p), false);
  }

  truncate(path: string, sizeBytes: number): Promise<void> {
    const p = normalizePath(path);
    const bad = checkRange("truncate", p, sizeBytes, 0);
    if (bad) return Promise.reject(bad);
    return this.io("write", `truncate ${p} to ${sizeBytes}`, () => this.model.truncate(p, sizeBytes));
  }

  fsync(path: string): Promise<void> {
    const p = normalizePath(path);
    // Only what was written before this call is promised durable, however long the flush waits.
    const covered = this.model.mark();
    return this.flush(`fsync ${p}`, () => this.model.fsync(p, covered));
  }

  fsyncDir(dir: string): Promise<void> {
    const d = normalizePath(dir);
    const covered = this.model.mark();
    return this.flush(`fsyncDir ${d === "" ? "/" : d}`, () => this.model.fsyncDir(d, covered));
  }

  rename(from: string, to: string): Promise<void> {
    const f = normalizePath(from);
    const t = normalizePath(to);
    return this.io("metadata", `rename ${f} -> ${t}`, () => this.model.rename(f, t));
  }

  unlink(path: string): Promise<void> {
    const p = normalizePath(path);
    return this.io("metadata", `unlink ${p}`, () => this.model.unlink(p));
  }

  private io<T>(kind: "read" | "write" | "metadata", label: string, effect: () => T, changes = true): Promise<T> {
    const latency = this.profile[kind === "read" ? "readMs" : kind === "write" ? "writeMs" : "metadataMs"];
    const doneAtMs = Math.max(this.host.nowMs(), this.queues.ioFreeAtMs) + drawLatency(latency, this.rng);
    this.queues.ioFreeAtMs = doneAtMs;
    return this.complete(doneAtMs, label, effect, changes);
  }

  private flush(label: string, effect: () => void): Promise<void> {
    const doneAtMs =
      Math.max(this.host.nowMs(), this.queues.flushFreeAtMs) + drawLatency(this.profile.fsyncMs, this.rng);
    this.queues.flushFreeAtMs = doneAtMs;
    return this.complete(doneAtMs, label, effect, true);
  }

  private complete<T>(atMs: number, label: string, effect: () => T, changes: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.host.scheduleForIncarnation(atMs, `disk ${label}`, () => {
        let settle: () => void;
        try {
          const result = effect();
          this.host.trace("disk", label);
          settle = () => resolve(result);
        } catch (error) {
          this.host.trace("disk", `${label} -> ${error instanceof DiskError ? error.code : String(error)}`);
          settle = () => reject(error);
        }
        // A fault aimed at this gap: a dead caller never hears back; a paused one hears back when it resumes.
        const fate = changes ? this.host.afterChange(label) : "goOn";
        if (fate === "goOn") settle();
        else if (fate === "paused")
          this.host.scheduleForIncarnation(this.host.nowMs(), `disk ${label} (reply)`, settle);
      });
    });
  }
}

function checkRange(operation: string, path: string, offset: number, length: number): RangeError | null {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    return new RangeError(`${operation} '${path}': offset ${offset} and length ${length} must be whole numbers >= 0`);
  }
  return null;
}
