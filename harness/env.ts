/**
 * The environment a node incarnation runs in.
 *
 * Lab code never touches the real clock, randomness, files or sockets. Each time a node starts
 * (each *incarnation*), it receives one `Env`, and everything it does to the outside world goes
 * through it. There are two implementations with these same interfaces:
 *
 * - `harness/sim`: one seeded scheduler on virtual time drives everything, so one seed gives one
 *   byte-identical run, faults can be injected at any step, and ten simulated minutes take
 *   milliseconds;
 * - `harness/real`: node:fs, real timers and crypto randomness, for benchmarks and real processes.
 *
 * A crashed incarnation is a zombie: its pending calls never settle and nothing it does afterwards
 * reaches the world. Code written against these interfaces therefore never needs to ask "am I
 * still alive?"; it simply stops being scheduled.
 */
import type { Logger } from "pino";

export type { Logger };

/** A handle to cancel a timer. Cancelling twice, or after it fired, is harmless. */
export interface Timer {
  cancel(): void;
}

/**
 * Time as this node sees it. In simulation it is virtual, and a node's clock may be skewed (set
 * wrong) and drift (run fast or slow) relative to the others, as real machines' clocks do.
 */
export interface Clock {
  /**
   * Whole milliseconds since the Unix epoch on this node's clock (virtual in simulation), like
   * `Date.now()`. Durations passed to `sleep` and the timers may have fractions.
   */
  now(): number;
  /** Resolves after `ms` milliseconds of this node's clock. */
  sleep(ms: number): Promise<void>;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): Timer;
  /** Calls `fn` every `ms` milliseconds until cancelled. */
  setInterval(ms: number, fn: () => void): Timer;
}

/** Randomness for lab code. In simulation it is seeded, so the same seed gives the same draws. */
export interface Rng {
  /** A float in [0, 1). */
  float(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One item of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** `count` random bytes. */
  bytes(count: number): Uint8Array;
  /** A random RFC 4122 version 4 UUID string. */
  uuid(): string;
}

/** The error codes the disk can fail with, as POSIX names them. */
export type DiskErrorCode =
  | "ENOENT" // no such file or directory
  | "EEXIST" // already exists
  | "ENOTDIR" // a path component is not a directory
  | "EISDIR" // is a directory
  | "ENOTEMPTY" // directory not empty
  | "EIO" // input/output error: the device failed (fsync can fail this way)
  | "ENOSPC"; // no space left on the device

/** A failed disk operation. `code` says why, as POSIX does. */
export class DiskError extends Error {
  constructor(
    readonly code: DiskErrorCode,
    readonly operation: string,
    readonly path: string,
  ) {
    super(`${code}: ${operation} '${path}' failed`);
    this.name = "DiskError";
  }
}

/**
 * A disk: files and directories, addressed by `/`-separated paths relative to the node's data
 * directory (`""` is that directory itself).
 *
 * The contract is the one POSIX file systems keep, and the simulation enforces its hard parts:
 * - reads see every completed write, synced or not (a page cache);
 * - `fsync(path)` makes the file's *contents* durable, but only the writes that completed before
 *   it was called;
 * - creating, renaming and deleting are changes to a *directory*; they are durable only after
 *   `fsyncDir` of that directory;
 * - a process crash loses nothing that was written (the page cache belongs to the machine), but a
 *   power loss keeps, per file, its last synced state plus any subset of the later writes, in any
 *   order, each possibly torn at 512-byte sector boundaries;
 * - `fsync` can fail with EIO; the unsynced data is then gone, and a later `fsync` that succeeds
 *   does not bring it back.
 */
export interface Disk {
  /** Names (not paths) of the entries in a directory, sorted. */
  list(dir: string): Promise<string[]>;
  /** Whether a file or directory exists at `path`. */
  exists(path: string): Promise<boolean>;
  /** Creates a directory and any missing parents; does nothing if it exists. */
  mkdir(path: string): Promise<void>;
  /** Creates an empty file. Fails with EEXIST if something is there. */
  create(path: string): Promise<void>;
  /** Writes `data` at byte `offset`, extending the file (with zeros) if needed. The file must exist. */
  write(path: string, offset: number, data: Uint8Array): Promise<void>;
  /** Reads up to `length` bytes from `offset`; fewer at the end of the file. */
  read(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** The file's size in bytes. */
  size(path: string): Promise<number>;
  /** Cuts or zero-extends the file to `sizeBytes`. */
  truncate(path: string, sizeBytes: number): Promise<void>;
  /** Makes the file's completed writes durable. May fail with EIO. */
  fsync(path: string): Promise<void>;
  /** Makes the directory's creates, renames and deletes durable. */
  fsyncDir(dir: string): Promise<void>;
  /** Atomically replaces `to` (if it exists) with `from`. */
  rename(from: string, to: string): Promise<void>;
  /** Deletes a file, or an empty directory. */
  unlink(path: string): Promise<void>;
}

/**
 * A disk whose every call goes through `around` before it reaches `disk`: a handle that can be
 * fenced off, or silenced when its process is killed, decides in one place what a call does.
 */
export function diskThrough(disk: Disk, around: <T>(call: () => Promise<T>) => Promise<T>): Disk {
  return {
    list: (dir) => around(() => disk.list(dir)),
    exists: (path) => around(() => disk.exists(path)),
    mkdir: (path) => around(() => disk.mkdir(path)),
    create: (path) => around(() => disk.create(path)),
    write: (path, offset, data) => around(() => disk.write(path, offset, data)),
    read: (path, offset, length) => around(() => disk.read(path, offset, length)),
    size: (path) => around(() => disk.size(path)),
    truncate: (path, sizeBytes) => around(() => disk.truncate(path, sizeBytes)),
    fsync: (path) => around(() => disk.fsync(path)),
    fsyncDir: (dir) => around(() => disk.fsyncDir(dir)),
    rename: (from, to) => around(() => disk.rename(from, to)),
    unlink: (path) => around(() => disk.unlink(path)),
  };
}

/**
 * The answer to a request. A request that gets no reply in time has an unknown outcome: the
 * receiver may have acted on it or not. That is `maybe`, not a failure, and code that treats it
 * as a failure is wrong in ways the grader will find.
 */
export type RequestOutcome<TReply> = { kind: "ok"; reply: TReply } | { kind: "maybe"; reason: "timeout" };

/** How a node answers requests. A thrown error sends no reply (the caller sees `maybe`). */
export type RequestHandler = (from: string, request: unknown) => unknown | Promise<unknown>;

/** How a node takes one-way messages. */
export type MessageHandler = (from: string, message: unknown) => void;

/**
 * The network, between nodes named by id. Messages are copied (structured clone), never shared.
 * In simulation, a message can be delayed, dropped, duplicated and reordered, and links can be
 * partitioned one way or both.
 */
export interface Net {
  /** Sends a one-way message. No acknowledgement; it may never arrive, or arrive twice. */
  send(to: string, message: unknown): void;
  /** Sends a request and waits up to `timeoutMs` of this node's clock for the reply. */
  request<TReply>(to: string, request: unknown, options: { timeoutMs: number }): Promise<RequestOutcome<TReply>>;
  /** Sets the handler for one-way messages (replacing any earlier one). */
  onMessage(handler: MessageHandler): void;
  /** Sets the handler for requests (replacing any earlier one). */
  onRequest(handler: RequestHandler): void;
}

/** Everything a node incarnation may use to reach the outside world. */
export interface Env {
  /** The node's id, stable across restarts. */
  readonly nodeId: string;
  /** Counts from 1 and goes up on each restart. */
  readonly incarnation: number;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly disk: Disk;
  readonly net: Net;
  /** A pino logger, stamped with the node's id and (in simulation) the simulated time. */
  readonly log: Logger;
}
