/**
 * Measures this machine's disk the way lab code sees it (node:fs/promises, as harness/real/disk.ts
 * calls it) and fits the simulated disk's cost model (harness/sim/cost-model.ts) to it:
 *
 *   a write call of n bytes    costs  writeCallMs + n / writeBytesPerMs   (into the page cache)
 *   an fsync with d dirty bytes costs  fsyncMs + d / fsyncBytesPerMs       (to the device)
 *
 * The fsync line is fitted over fsyncs that had something to write: one with nothing dirty
 * returns in a fraction of fsyncMs, which the model does not distinguish (it is printed too).
 *
 * Each line is a least-squares fit (relative errors) of the median time per call over sizes. Run on an idle machine,
 * in a folder on the real disk (the default is the OS temp folder):
 *
 *     npx tsx harness/tools/calibrate-disk.ts [DIR]
 *
 * It writes about 400 MiB and deletes it. docs/harness.md keeps the figures it printed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const WRITE_SIZES = [512, 4096, 65536, 1048576] as const;
const WRITE_TOTAL_BYTES = 64 * 1024 * 1024;
const WRITE_MAX_CALLS = 8_000;
const DIRTY_SIZES = [0, 4096, 65536, 1048576, 8388608, 33554432] as const;
const FSYNC_ROUNDS = 7;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * Least squares, y = intercept + slope * x, weighted by 1 / y^2: the error that matters is
 * relative (a 4 KiB fsync off by 0.2 ms is as wrong as a 32 MiB one off by 10 ms).
 */
export function fitLine(points: readonly { x: number; y: number }[]): { intercept: number; slope: number } {
  let sw = 0;
  let swx = 0;
  let swy = 0;
  let swxx = 0;
  let swxy = 0;
  for (const { x, y } of points) {
    const w = 1 / (y * y);
    sw += w;
    swx += w * x;
    swy += w * y;
    swxx += w * x * x;
    swxy += w * x * y;
  }
  const det = sw * swxx - swx * swx;
  const slope = det === 0 ? 0 : (sw * swxy - swx * swy) / det;
  return { intercept: (swy - slope * swx) / sw, slope };
}

async function writeAll(handle: FileHandle, data: Uint8Array, offset: number): Promise<void> {
  let written = 0;
  while (written < data.length)
    written += (await handle.write(data, written, data.length - written, offset + written)).bytesWritten;
}

/** Median ms per write call of `size` bytes, in three runs of sequential writes to a fresh file. */
async function writeCallMs(dir: string, size: number): Promise<number> {
  const calls = Math.min(WRITE_MAX_CALLS, WRITE_TOTAL_BYTES / size);
  const data = new Uint8Array(size).fill(5);
  const perCall: number[] = [];
  for (let run = 0; run < 3; run++) {
    const file = path.join(dir, `w-${size}-${run}`);
    const handle = await open(file, "w");
    const started = performance.now();
    for (let i = 0; i < calls; i++) await writeAll(handle, data, i * size);
    perCall.push((performance.now() - started) / calls);
    await handle.datasync();
    await handle.close();
    rmSync(file);
  }
  return median(perCall);
}

/** Median ms of an fdatasync that must write `dirtyBytes` (written just before, in 1 MiB calls). */
async function fsyncMs(dir: string, dirtyBytes: number): Promise<number> {
  const file = path.join(dir, `f-${dirtyBytes}`);
  const handle = await open(file, "w");
  const chunk = new Uint8Array(Math.min(dirtyBytes, 1048576) || 1).fill(9);
  const times: number[] = [];
  let offset = 0;
  for (let round = 0; round < FSYNC_ROUNDS; round++) {
    for (let done = 0; done < dirtyBytes; done += chunk.length) {
      await writeAll(handle, chunk, offset);
      offset += chunk.length;
    }
    const started = performance.now();
    await handle.datasync();
    times.push(performance.now() - started);
  }
  await handle.close();
  rmSync(file);
  return median(times);
}

export async function calibrate(dir: string): Promise<string[]> {
  const lines: string[] = [
    `disk calibration in ${dir}: ${os.availableParallelism()} × ${os.cpus()[0]?.model}, Node ${process.version}, load average ${os.loadavg()[0]?.toFixed(1)}, ${new Date().toISOString()}`,
  ];
  await writeCallMs(dir, 4096); // warm-up
  const writes: { x: number; y: number }[] = [];
  for (const size of WRITE_SIZES) {
    const ms = await writeCallMs(dir, size);
    writes.push({ x: size, y: ms });
    lines.push(`  write call of ${String(size).padStart(8)} bytes: ${(ms * 1000).toFixed(1).padStart(8)} µs`);
  }
  const w = fitLine(writes);
  lines.push(
    `  fit: writeCallMs ${w.intercept.toFixed(4)}, writeBytesPerMs ${Math.round(1 / w.slope)} (${(1 / w.slope / 1000).toFixed(0)} MB/s)`,
  );
  const syncs: { x: number; y: number }[] = [];
  for (const dirty of DIRTY_SIZES) {
    const ms = await fsyncMs(dir, dirty);
    syncs.push({ x: dirty, y: ms });
    lines.push(`  fdatasync with ${String(dirty).padStart(8)} dirty bytes: ${ms.toFixed(3).padStart(8)} ms`);
  }
  // An fsync with nothing dirty returns at once; the model's fixed part is that of a real flush.
  const f = fitLine(syncs.filter((p) => p.x > 0));
  lines.push(
    `  fit: fsyncMs ${f.intercept.toFixed(3)}, fsyncBytesPerMs ${Math.round(1 / f.slope)} (${(1 / f.slope / 1000).toFixed(0)} MB/s)`,
  );
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const dir = mkdtempSync(path.join(process.argv[2] ?? os.tmpdir(), "calibrate-disk-"));
  try {
    for (const line of await calibrate(dir)) console.log(line);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
