/**
 * Performance bounds in simulated time (issue 14, point 2's mechanism): a part runs a workload on
 * a disk with a cost model (harness/sim/cost-model.ts), measures the simulated time it took and
 * what it asked of the disk, and checks it against a bound. The verdict explains the number in
 * plain words, as the correctness verdicts do: how many calls of what size, what the disk model
 * allows for the same bytes, and which change would close the gap.
 *
 * The bound comes from the reference solution's own figure on the same workload, with a margin,
 * never from wall-clock time: the simulated clock and the cost model are the same on every
 * machine, so a grade is too. Lab 01's L1.H (labs/01-log-storage/tests/write-buffer.ts) uses it.
 */
import { type Anomaly, anomaly } from "../checkers/anomaly.ts";
import type { DiskCostModel } from "../sim/cost-model.ts";
import { type DiskStats, emptyDiskStats } from "../sim/disk.ts";
import type { Op } from "../workloads/history.ts";

/** What a workload cost: simulated time, and the disk calls it made. */
export interface DiskWork {
  tookMs: number;
  disk: DiskStats;
}

export interface PerfBound {
  /** The workload, as a learner reads it: "1,000 appends of 1 KiB under async flush". */
  workload: string;
  /** The most simulated time it may take (the reference's figure with a margin). */
  boundMs: number;
  /** Fsyncs the workload cannot do without (1 for "everything durable at the end"; default 0). */
  neededFsyncs?: number;
  /** The call size the best design writes in, for "the disk model allows" (default 1 MiB). */
  largeCallBytes?: number;
}

const MIB = 1024 * 1024;
/** Fixed costs of calls and of fsyncs within this factor of each other: both need the fix. */
const BOTH_FACTOR = 1.5;

/** What a node's disk did between two readings of its (cumulative) statistics. */
export function diskStatsSince(before: Readonly<DiskStats>, after: Readonly<DiskStats>): DiskStats {
  const delta = emptyDiskStats();
  for (const key of Object.keys(delta) as (keyof DiskStats)[]) delta[key] = after[key] - before[key];
  return delta;
}

/**
 * Runs `body` and returns what it cost: `nowMs` is the world's clock, `stats` the node's disk
 * statistics (SimNode's `diskStats`).
 */
export async function measureDiskWork<T>(
  nowMs: () => number,
  stats: () => Readonly<DiskStats>,
  body: () => Promise<T>,
): Promise<{ value: T; work: DiskWork }> {
  const before = { ...stats() };
  const startedMs = nowMs();
  const value = await body();
  return { value, work: { tookMs: nowMs() - startedMs, disk: diskStatsSince(before, stats()) } };
}

/** The least simulated time the model allows for the workload's bytes and the fsyncs it needs. */
export function bestDiskMs(bound: PerfBound, work: DiskWork, model: DiskCostModel): number {
  const needed = bound.neededFsyncs ?? 0;
  const writeMs = model.bestWriteMs(work.disk.writeBytes, bound.largeCallBytes ?? MIB);
  const flushMs =
    needed === 0 ? 0 : needed * model.parameters.fsyncMs + work.disk.writeBytes / model.parameters.fsyncBytesPerMs;
  return writeMs + flushMs;
}

/**
 * The plain-word account of a workload's cost: "1,000 appends of 1 KiB took 40 simulated ms: 1,000
 * write calls of 1 KiB each. The disk model allows about 0.3 ms for these bytes (1 MiB in calls of
 * 1 MiB); batch the records into fewer, larger writes." Said on a pass too, for the report.
 */
export function explainDiskWork(bound: PerfBound, work: DiskWork, model: DiskCostModel): string {
  const d = work.disk;
  const over = work.tookMs > bound.boundMs;
  const calls =
    d.writeCalls === 0
      ? "no write calls"
      : `${count(d.writeCalls)} write ${d.writeCalls === 1 ? "call" : "calls"} of ${size(d.writeBytes / d.writeCalls)}${d.writeCalls === 1 ? "" : " each"}`;
  const fsyncs =
    d.fsyncs === 0
      ? ""
      : `, and ${count(d.fsyncs)} ${d.fsyncs === 1 ? "fsync" : "fsyncs"} writing ${size(d.fsyncedBytes)} to the device`;
  const needed = bound.neededFsyncs ?? 0;
  const bestMs = bestDiskMs(bound, work, model);
  const allows =
    `The disk model allows about ${ms(bestMs)} for these bytes (${size(d.writeBytes)} in calls of ${size(bound.largeCallBytes ?? MIB)}` +
    `${needed === 0 ? "" : `, and ${count(needed)} ${needed === 1 ? "fsync" : "fsyncs"}`})`;
  const head = `${bound.workload} took ${ms(work.tookMs)} of simulated time${over ? `, over its bound of ${ms(bound.boundMs)}` : ` (bound: ${ms(bound.boundMs)})`}: ${calls}${fsyncs}.`;
  return `${head} ${allows}${over ? `; ${advice(work, model)}` : ""}.`;
}

/** Which change would gain the most, judged by where the model says the time went. */
function advice(work: DiskWork, model: DiskCostModel): string {
  const d = work.disk;
  const p = model.parameters;
  const callOverheadMs = (d.writeCalls + d.readCalls + d.metadataCalls) * p.callMs;
  const ioMs = callOverheadMs + (d.writeBytes + d.readBytes) / p.bytesPerMs;
  const fsyncOverheadMs = d.fsyncs * p.fsyncMs;
  const flushMs = fsyncOverheadMs + d.fsyncedBytes / p.fsyncBytesPerMs;
  // The data calls and the flushes queue separately and can overlap; the busier queue sets the pace.
  if (Math.max(ioMs, flushMs) < work.tookMs / 2) {
    return (
      `the disk was busy for at most ${ms(ioMs + flushMs)} of them: the rest is waiting ` +
      "(timers, the network, or calls awaited one after another that could have been in flight together)"
    );
  }
  // Both queues about as busy: either change alone leaves the other queue setting the pace.
  if (Math.min(fsyncOverheadMs, callOverheadMs) * BOTH_FACTOR >= Math.max(fsyncOverheadMs, callOverheadMs)) {
    return (
      `the write calls (${ms(callOverheadMs)} of fixed costs) and the fsyncs (${ms(fsyncOverheadMs)}) take about as long: ` +
      "batch the records into fewer, larger writes, and let each fsync cover more of them"
    );
  }
  if (fsyncOverheadMs > callOverheadMs) {
    return "fsync less often: let one fsync cover every record written while the previous one ran (group commit)";
  }
  return "batch the records into fewer, larger writes";
}

/** A "too slow" anomaly when the work went over its bound, with the account above; null otherwise. */
export function checkPerfBound(bound: PerfBound, work: DiskWork, model: DiskCostModel, ops: Op[] = []): Anomaly | null {
  if (work.tookMs <= bound.boundMs) return null;
  return anomaly("too slow", explainDiskWork(bound, work, model), ops);
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** "1 KiB", "1.1 KiB", "64 KiB", "3 MiB", "512 bytes". */
function size(bytes: number): string {
  const round = (x: number) => (Math.abs(x - Math.round(x)) < 0.05 ? count(Math.round(x)) : x.toFixed(1));
  if (bytes >= MIB) return `${round(bytes / MIB)} MiB`;
  if (bytes >= 1024) return `${round(bytes / 1024)} KiB`;
  return `${count(Math.round(bytes))} bytes`;
}

/** "41 ms", "2.1 ms", "0.25 ms": two significant figures below 10. */
function ms(value: number): string {
  return value >= 10 ? `${count(Math.round(value))} ms` : `${Number(value.toPrecision(2))} ms`;
}
