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
import type { DiskCostModel } from "./cost-model.ts";
import { type DiskModel, normalizePath } from "./disk-model.ts";
import { drawLatency, type LatencyMs } from "./latency.ts";
import type { SimRng } from "./rng.ts";

/** How fast a simulated disk is. */
export interface DiskProfile {
  readMs: LatencyMs;
  writeMs: LatencyMs;
  metadataMs: LatencyMs;
  fsyncMs: LatencyMs;
  /**
   * When set, calls cost what this model says (a fixed part plus their bytes over a bandwidth),
   * and the latencies above are not used. Unset by default: today's labs run without it.
   */
  cost?: DiskCostModel;
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

/** What one node's disk was asked to do, over all its incarnations (for performance verdicts). */
export interface DiskStats {
  /** Calls that change a file's contents: writes, and truncates (of 0 bytes). */
  writeCalls: number;
  writeBytes: number;
  readCalls: number;
  readBytes: number;
  metadataCalls: number;
  fsyncs: number;
  /** Bytes the fsyncs had to write to the device (pending writes no earlier fsync covered). */
  fsyncedBytes: number;
}

export function emptyDiskStats(): DiskStats {
  return { writeCalls: 0, writeBytes: 0, readCalls: 0, readBytes: 0, metadataCalls: 0, fsyncs: 0, fsyncedBytes: 0 };
}

/** Queue positions for one node's disk, shared by its incarnations, and what it was asked. */
export interface DiskQueues {
  ioFreeAtMs: number;
  flushFreeAtMs: number;
  stats: DiskStats;
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
    return this.io("metadata", 0, `list ${d === "" ? "/" : d}`, () => this.model.list(d), false);
  }

  exists(path: string): Promise<boolean> {
    const p = normalizePath(path);
    return this.io("metadata", 0, `exists ${p}`, () => this.model.exists(p), false);
  }

  mkdir(path: string): Promise<void> {
    const p = normalizePath(path);
    return this.io("metadata", 0, `mkdir ${p}`, () => this.model.mkdir(p));
  }

  create(path: string): Promise<void> {
    const p = normalizePath(path);
    return this.io("metadata", 0, `create ${p}`, () => this.model.create(p));
  }

  write(path: string, offset: number, data: Uint8Array): Promise<void> {
    const p = normalizePath(path);
    const bad = checkRange("write", p, offset, data.length);
    if (bad) return Promise.reject(bad);
    // Copy now: the caller may reuse its buffer as soon as write() returns, as with node:fs.
    const copy = data.slice();
    // The label carries the data's CRC, so that the trace hash covers what was written, not only where.
    const label = `write ${p} @${offset} +${copy.length} crc ${(crc32(copy) >>> 0).toString(16)}`;
    return this.io("write", copy.length, label, () => this.model.write(p, offset, copy));
  }

  read(path: string, offset: number, length: number): Promise<Uint8Array> {
    const p = normalizePath(path);
    const bad = checkRange("read", p, offset, length);
    if (bad) return Promise.reject(bad);
    return this.io(
      "read",
      length,
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
    return this.io("metadata", 0, `size ${p}`, () => this.model.size(p), false);
  }

  truncate(path: string, sizeBytes: number): Promise<void> {
    const p = normalizePath(path);
    const bad = checkRange("truncate", p, sizeBytes, 0);
    if (bad) return Promise.reject(bad);
    return this.io("write", 0, `truncate ${p} to ${sizeBytes}`, () => this.model.truncate(p, sizeBytes));
  }

  fsync(path: string): Promise<void> {
    const p = normalizePath(path);
    // Only what was written before this call is promised durable, however long the flush waits.
    const covered = this.model.mark();
    const dirtyBytes = this.model.claimDirtyBytes(p, covered);
    return this.flush(`fsync ${p}`, dirtyBytes, () => this.model.fsync(p, covered));
  }

  fsyncDir(dir: string): Promise<void> {
    const d = normalizePath(dir);
    const covered = this.model.mark();
    return this.flush(`fsyncDir ${d === "" ? "/" : d}`, 0, () => this.model.fsyncDir(d, covered));
  }

  rename(from: string, to: string): Promise<void> {
    const f = normalizePath(from);
    const t = normalizePath(to);
    return this.io("metadata", 0, `rename ${f} -> ${t}`, () => this.model.rename(f, t));
  }

  unlink(path: string): Promise<void> {
    const p = normalizePath(path);
    return this.io("metadata", 0, `unlink ${p}`, () => this.model.unlink(p));
  }

  private io<T>(
    kind: "read" | "write" | "metadata",
    bytes: number,
    label: string,
    effect: () => T,
    changes = true,
  ): Promise<T> {
    const stats = this.queues.stats;
    if (kind === "write") {
      stats.writeCalls++;
      stats.writeBytes += bytes;
    } else if (kind === "read") {
      stats.readCalls++;
      stats.readBytes += bytes;
    } else stats.metadataCalls++;
    const cost = this.profile.cost;
    // Without a cost model, the draw is exactly as it always was: the labs' seeds draw the same runs.
    const latencyMs =
      cost === undefined
        ? drawLatency(this.profile[kind === "read" ? "readMs" : kind === "write" ? "writeMs" : "metadataMs"], this.rng)
        : cost.callMs(bytes);
    const doneAtMs = Math.max(this.host.nowMs(), this.queues.ioFreeAtMs) + latencyMs;
    this.queues.ioFreeAtMs = doneAtMs;
    return this.complete(doneAtMs, label, effect, changes);
  }

  private flush(label: string, dirtyBytes: number, effect: () => void): Promise<void> {
    this.queues.stats.fsyncs++;
    this.queues.stats.fsyncedBytes += dirtyBytes;
    const cost = this.profile.cost;
    const latencyMs = cost === undefined ? drawLatency(this.profile.fsyncMs, this.rng) : cost.fsyncMs(dirtyBytes);
    const doneAtMs = Math.max(this.host.nowMs(), this.queues.flushFreeAtMs) + latencyMs;
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
