/**
 * The simulated disk: what is durable, what is only in the page cache, and what a power loss does.
 *
 * State, per node, surviving its incarnations:
 *
 *   names:   current namespace (path -> file or directory), what every read sees
 *            durable namespace, what survives a power loss
 *            journal: directory changes (mkdir, create, rename, unlink) not yet durable, in order
 *   files:   each inode has `current` contents (page cache view), `durable` contents (on the
 *            platter), and `pending`: the writes and truncates since its last fsync, in order
 *
 * Rules (the POSIX contract at its least generous, which is what real disks are allowed to do):
 *   - fsync(file) makes durable the file's pending changes that were made before fsync was called;
 *   - fsyncDir(dir) commits the journal up to the last change touching `dir` (the journal is
 *     ordered, as ext4's is, so everything before it is committed too);
 *   - process crash: nothing changes; the page cache belongs to the machine;
 *   - power loss: a prefix of the journal survives; each file keeps its durable contents plus any
 *     subset of its pending changes, applied in any order, each write possibly torn at 512-byte
 *     sectors (a gap left by a lost sector reads as zeros);
 *   - fsync fails with EIO on demand; the file's pending data is then dropped, from the page cache
 *     too, so a retried fsync "succeeds" with the data gone (as in the 2018 PostgreSQL fsyncgate);
 *   - on demand, a read returns one flipped bit; past a quota, writes fail with ENOSPC.
 *
 * This file holds only state transitions; `disk.ts` adds latency, queues and incarnations.
 */

import { DiskError } from "../env.ts";
import { Bytes } from "./bytes.ts";
import { invariant } from "./invariant.ts";
import type { SimRng } from "./rng.ts";

/** Torn writes break at this granularity, as disks promise atomicity only per sector. */
export const SECTOR_BYTES = 512;

type PendingChange =
  | { seq: number; kind: "write"; offset: number; data: Uint8Array }
  | { seq: number; kind: "truncate"; sizeBytes: number };

export interface Inode {
  readonly id: number;
  current: Bytes;
  durable: Bytes;
  pending: PendingChange[];
  /** Changes below this seq were counted by an fsync's cost already (see claimDirtyBytes). */
  costedSeq: number;
}

type Entry = { kind: "dir" } | { kind: "file"; inode: Inode };

type JournalEntry =
  | { seq: number; kind: "mkdir"; path: string }
  | { seq: number; kind: "create"; path: string; inode: Inode }
  | { seq: number; kind: "rename"; from: string; to: string }
  | { seq: number; kind: "unlink"; path: string };

/** What a power loss did, for traces and for the tests that show each fault happens. */
export interface PowerLossReport {
  journalKept: number;
  journalLost: number;
  writesKept: number;
  writesLost: number;
  writesTorn: number;
  truncatesKept: number;
  truncatesLost: number;
  /** True when some kept change was applied out of the order it was made in. */
  reordered: boolean;
}

/** Normalizes a path: no leading, trailing or doubled slashes; "" is the root. */
export function normalizePath(path: string): string {
  return path
    .split("/")
    .filter((part) => part !== "" && part !== ".")
    .join("/");
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export class DiskModel {
  private current = new Map<string, Entry>([["", { kind: "dir" }]]);
  private durable = new Map<string, Entry>([["", { kind: "dir" }]]);
  private journal: JournalEntry[] = [];
  private nextSeq = 1;
  private nextInode = 1;

  /** Fault switches, set by the fault plan. */
  failNextFsyncs = 0;
  flipNextReads = 0;
  quotaBytes: number | null = null;

  /** A sequence number: changes made before `mark()` was taken have a seq below it. */
  mark(): number {
    return this.nextSeq;
  }

  list(dir: string): string[] {
    this.requireDir(dir, "list");
    const prefix = dir === "" ? "" : `${dir}/`;
    const names: string[] = [];
    for (const path of this.current.keys()) {
      if (path !== "" && path.startsWith(prefix) && !path.slice(prefix.length).includes("/")) {
        names.push(path.slice(prefix.length));
      }
    }
    return names.sort();
  }

  exists(path: string): boolean {
    return this.current.has(path);
  }

  mkdir(path: string): void {
    const parts = path.split("/").filter((p) => p !== "");
    let sofar = "";
    for (const part of parts) {
      sofar = sofar === "" ? part : `${sofar}/${part}`;
      const entry = this.current.get(sofar);
      if (entry?.kind === "file") throw new DiskError("ENOTDIR", "mkdir", path);
      if (entry === undefined) {
        this.current.set(sofar, { kind: "dir" });
        this.journal.push({ seq: this.nextSeq++, kind: "mkdir", path: sofar });
      }
    }
  }

  create(path: string): void {
    if (path === "") throw new DiskError("EEXIST", "create", path);
    this.requireDir(parentOf(path), "create", path);
    if (this.current.has(path)) throw new DiskError("EEXIST", "create", path);
    const inode: Inode = {
      id: this.nextInode++,
      current: new Bytes(),
      durable: new Bytes(),
      pending: [],
      costedSeq: 0,
    };
    this.current.set(path, { kind: "file", inode });
    this.journal.push({ seq: this.nextSeq++, kind: "create", path, inode });
  }

  write(path: string, offset: number, data: Uint8Array): void {
    const inode = this.requireFile(path, "write");
    const growth = Math.max(0, offset + data.length - inode.current.size);
    if (this.quotaBytes !== null && growth > 0 && this.usageBytes() + growth > this.quotaBytes) {
      throw new DiskError("ENOSPC", "write", path);
    }
    const copy = data.slice();
    inode.current.write(offset, copy);
    inode.pending.push({ seq: this.nextSeq++, kind: "write", offset, data: copy });
  }

  /** Returns a copy of the bytes, and whether a fault flipped one of its bits. */
  read(path: string, offset: number, length: number, rng: SimRng): { data: Uint8Array; flipped: boolean } {
    const data = this.requireFile(path, "read").current.read(offset, length);
    if (this.flipNextReads > 0 && data.length > 0) {
      this.flipNextReads--;
      const bit = rng.int(data.length * 8);
      const index = bit >> 3;
      data[index] = (data[index] ?? 0) ^ (1 << (bit & 7));
      return { data, flipped: true };
    }
    return { data, flipped: false };
  }

  size(path: string): number {
    return this.requireFile(path, "size").current.size;
  }

  truncate(path: string, sizeBytes: number): void {
    const inode = this.requireFile(path, "truncate");
    const growth = Math.max(0, sizeBytes - inode.current.size);
    if (this.quotaBytes !== null && growth > 0 && this.usageBytes() + growth > this.quotaBytes) {
      throw new DiskError("ENOSPC", "truncate", path);
    }
    inode.current.truncate(sizeBytes);
    inode.pending.push({ seq: this.nextSeq++, kind: "truncate", sizeBytes });
  }

  /** Makes durable the file's changes with seq below `coveredSeq` (those made before the call). */
  fsync(path: string, coveredSeq: number): void {
    const inode = this.requireFile(path, "fsync");
    if (this.failNextFsyncs > 0) {
      this.failNextFsyncs--;
      // The device failed: the dirty pages are dropped, so the data is gone from the cache too.
      inode.pending = [];
      inode.current = inode.durable.clone();
      throw new DiskError("EIO", "fsync", path);
    }
    let applied = 0;
    for (const change of inode.pending) {
      if (change.seq >= coveredSeq) break;
      applyChange(inode.durable, change);
      applied++;
    }
    inode.pending.splice(0, applied);
  }

  /**
   * The bytes of the file's pending writes made before `coveredSeq` that no earlier fsync counted:
   * what an fsync called now must write to the device. For the cost model and the disk's
   * statistics only; it changes no contents. 0 for a path that is not a file.
   */
  claimDirtyBytes(path: string, coveredSeq: number): number {
    const entry = this.current.get(path);
    if (entry?.kind !== "file") return 0;
    const inode = entry.inode;
    let bytes = 0;
    for (const change of inode.pending) {
      if (change.seq >= coveredSeq) break;
      if (change.seq >= inode.costedSeq && change.kind === "write") bytes += change.data.length;
    }
    inode.costedSeq = Math.max(inode.costedSeq, coveredSeq);
    return bytes;
  }

  /** Commits the journal up to the last change made before the call that touches `dir`. */
  fsyncDir(dir: string, coveredSeq: number): void {
    this.requireDir(dir, "fsyncDir");
    let last = -1;
    for (let i = 0; i < this.journal.length; i++) {
      const entry = this.journal[i] as JournalEntry;
      if (entry.seq >= coveredSeq) break;
      if (touchedDirs(entry).includes(dir)) last = i;
    }
    for (const entry of this.journal.splice(0, last + 1)) applyJournal(this.durable, entry);
  }

  rename(from: string, to: string): void {
    const entry = this.current.get(from);
    if (entry === undefined) throw new DiskError("ENOENT", "rename", from);
    if (entry.kind === "dir") throw new DiskError("EISDIR", "rename", from);
    this.requireDir(parentOf(to), "rename", to);
    if (this.current.get(to)?.kind === "dir") throw new DiskError("EISDIR", "rename", to);
    if (from === to) return;
    this.current.delete(from);
    this.current.set(to, entry);
    this.journal.push({ seq: this.nextSeq++, kind: "rename", from, to });
  }

  unlink(path: string): void {
    const entry = this.current.get(path);
    if (entry === undefined || path === "") throw new DiskError("ENOENT", "unlink", path);
    if (entry.kind === "dir" && this.list(path).length > 0) throw new DiskError("ENOTEMPTY", "unlink", path);
    this.current.delete(path);
    this.journal.push({ seq: this.nextSeq++, kind: "unlink", path });
  }

  /** Bytes used by every file in the current namespace. */
  usageBytes(): number {
    let total = 0;
    for (const entry of this.current.values()) if (entry.kind === "file") total += entry.inode.current.size;
    return total;
  }

  /** True when some file or directory change is not yet durable. */
  hasUnsyncedChanges(): boolean {
    if (this.journal.length > 0) return true;
    for (const entry of this.current.values()) if (entry.kind === "file" && entry.inode.pending.length > 0) return true;
    return false;
  }

  /** The machine lost power. Decides, with `rng`, what made it to the platter. */
  powerLoss(rng: SimRng): PowerLossReport {
    const report: PowerLossReport = {
      journalKept: 0,
      journalLost: 0,
      writesKept: 0,
      writesLost: 0,
      writesTorn: 0,
      truncatesKept: 0,
      truncatesLost: 0,
      reordered: false,
    };
    const kept = rng.int(this.journal.length + 1);
    for (const entry of this.journal.slice(0, kept)) applyJournal(this.durable, entry);
    report.journalKept = kept;
    report.journalLost = this.journal.length - kept;
    this.journal = [];

    const seen = new Set<Inode>();
    for (const entry of this.durable.values()) {
      if (entry.kind !== "file" || seen.has(entry.inode)) continue;
      seen.add(entry.inode);
      surviveChanges(entry.inode, rng, report);
    }
    this.current = new Map(this.durable);
    return report;
  }

  private requireDir(dir: string, operation: string, forPath = dir): void {
    const entry = this.current.get(dir);
    if (entry === undefined) throw new DiskError("ENOENT", operation, forPath);
    if (entry.kind !== "dir") throw new DiskError("ENOTDIR", operation, forPath);
  }

  private requireFile(path: string, operation: string): Inode {
    const entry = this.current.get(path);
    if (entry === undefined) throw new DiskError("ENOENT", operation, path);
    if (entry.kind === "dir") throw new DiskError("EISDIR", operation, path);
    return entry.inode;
  }
}

/** Applies the surviving subset of a file's pending changes, in a random order, some torn. */
function surviveChanges(inode: Inode, rng: SimRng, report: PowerLossReport): void {
  const survivors: PendingChange[] = [];
  for (const change of inode.pending) {
    if (change.kind === "truncate") {
      if (rng.chance(0.5)) {
        survivors.push(change);
        report.truncatesKept++;
      } else report.truncatesLost++;
      continue;
    }
    const fate = rng.int(3);
    const pieces = fate === 2 ? tornPieces(change, rng) : null;
    if (fate === 0 || pieces?.length === 0) report.writesLost++;
    else if (fate === 1 || pieces === null) {
      survivors.push(change);
      report.writesKept++;
    } else {
      for (const piece of pieces) survivors.push(piece);
      report.writesTorn++;
    }
  }
  const order = rng.shuffled(survivors);
  for (let i = 1; i < order.length; i++) {
    if ((order[i] as PendingChange).seq < (order[i - 1] as PendingChange).seq) report.reordered = true;
  }
  const contents = inode.durable.clone();
  for (const change of order) applyChange(contents, change);
  assertSyncedBytesKept(inode, contents);
  inode.durable = contents;
  inode.current = contents.clone();
  inode.pending = [];
}

/**
 * The contract a power loss keeps: a byte that no unsynced change touched is what the last fsync
 * made durable. (Bit flips happen on reads, never here.)
 */
function assertSyncedBytesKept(inode: Inode, after: Bytes): void {
  const before = inode.durable.view();
  const now = after.view();
  const cutAt = Math.min(before.length, ...inode.pending.map((c) => (c.kind === "truncate" ? c.sizeBytes : Infinity)));
  invariant(now.length >= cutAt, () => `power loss shortened file #${inode.id} below what any truncate allowed`);
  const touched = inode.pending.filter((c) => c.kind === "write");
  for (let at = 0; at < cutAt; at++) {
    if (now[at] === before[at]) continue;
    const covered = touched.some((w) => w.kind === "write" && at >= w.offset && at < w.offset + w.data.length);
    invariant(covered, () => `power loss changed byte ${at} of file #${inode.id}, which no unsynced write touched`);
  }
}

/**
 * Splits a write at absolute sector boundaries and keeps a random strict subset of the pieces.
 * Returns null for a write inside one sector: a sector is written whole or not at all.
 */
function tornPieces(change: PendingChange & { kind: "write" }, rng: SimRng): PendingChange[] | null {
  const pieces: PendingChange[] = [];
  let start = change.offset;
  const end = change.offset + change.data.length;
  while (start < end) {
    const sectorEnd = Math.min(end, (Math.floor(start / SECTOR_BYTES) + 1) * SECTOR_BYTES);
    pieces.push({
      seq: change.seq,
      kind: "write",
      offset: start,
      data: change.data.subarray(start - change.offset, sectorEnd - change.offset),
    });
    start = sectorEnd;
  }
  if (pieces.length === 1) return null;
  const kept = pieces.filter(() => rng.chance(0.5));
  return kept.length === pieces.length ? kept.slice(1) : kept;
}

function applyChange(contents: Bytes, change: PendingChange): void {
  if (change.kind === "write") contents.write(change.offset, change.data);
  else contents.truncate(change.sizeBytes);
}

function touchedDirs(entry: JournalEntry): string[] {
  if (entry.kind === "rename") return [parentOf(entry.from), parentOf(entry.to)];
  return [parentOf(entry.path)];
}

function applyJournal(names: Map<string, Entry>, entry: JournalEntry): void {
  switch (entry.kind) {
    case "mkdir":
      names.set(entry.path, { kind: "dir" });
      return;
    case "create":
      names.set(entry.path, { kind: "file", inode: entry.inode });
      return;
    case "rename": {
      const moved = names.get(entry.from);
      names.delete(entry.from);
      if (moved !== undefined) names.set(entry.to, moved);
      return;
    }
    case "unlink":
      names.delete(entry.path);
      return;
  }
}
