/**
 * Lab 01's benchmark: the reference log on a real disk (node:fs through harness/real), next to the
 * raw write speed of the same disk measured in the same run, with the same write sizes and the
 * same fsync cadence. Reported as rates and ratios: a busy machine makes a slow run, not a failure.
 *
 *   1. raw: sequential writes of records the size the log writes (1 KiB of body), no fsync;
 *   2. the log, asynchronous flush, one producer;                 target: at least 70% of 1
 *   3. the log, synchronous flush with group commit, 64 producers at once;
 *   4. raw: the same writes, with one fsync per as many records as the log's group commit had;
 *   5. raw: one fsync per record, the cost group commit saves.
 *
 * `npm run bench` runs every lab's runBench(); to run this one alone:
 *   npx tsx -e 'import("./labs/01-log-storage/bench.ts").then(async (b) => console.log((await b.runBench()).join("\n")))'
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRealEnv, type RealEnv } from "#harness/real/env.ts";
import type { Disk } from "#lab";
import { openReferenceLog } from "./reference.ts";
import { encodeRecord } from "./solution/record.ts";

const BODY_BYTES = 1024;
const ASYNC_MESSAGES = 20_000;
const SYNC_MESSAGES = 8_192;
const PRODUCERS = 64;
const FSYNC_EACH_MESSAGES = 500;
const ROUNDS = 3;

/** The size of the record the log writes for one benchmark message. */
function recordBytes(): number {
  return encodeRecord({
    topic: "bench",
    queueId: 0,
    queueOffset: 0,
    physicalOffset: 0,
    bornTimestamp: 0,
    storeTimestamp: 0,
    body: new Uint8Array(BODY_BYTES),
    properties: {},
  }).length;
}

/** A disk that counts its fsyncs. */
function countingFsyncs(disk: Disk): { disk: Disk; count: () => number } {
  let fsyncs = 0;
  const counted = Object.create(disk) as Disk;
  counted.fsync = async (p) => {
    fsyncs++;
    await disk.fsync(p);
  };
  for (const key of [
    "list",
    "exists",
    "mkdir",
    "create",
    "write",
    "read",
    "size",
    "truncate",
    "fsyncDir",
    "rename",
    "unlink",
  ] as const) {
    (counted as unknown as Record<string, unknown>)[key] = (disk[key] as (...a: unknown[]) => unknown).bind(disk);
  }
  return { disk: counted, count: () => fsyncs };
}

async function rawWrites(env: RealEnv, file: string, count: number, size: number, fsyncEvery: number): Promise<number> {
  await env.disk.create(file);
  const block = new Uint8Array(size).fill(7);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await env.disk.write(file, i * size, block);
    if (fsyncEvery > 0 && (i + 1) % fsyncEvery === 0) await env.disk.fsync(file);
  }
  if (fsyncEvery > 0) await env.disk.fsync(file);
  return performance.now() - started;
}

async function logAppends(
  env: RealEnv,
  mode: "async" | "sync",
  count: number,
  producers: number,
): Promise<{ ms: number; fsyncs: number }> {
  const counting = countingFsyncs(env.disk);
  const log = await openReferenceLog(
    { ...env, disk: counting.disk },
    {
      segmentBytes: 64 * 1024 * 1024,
      entriesPerFile: 300_000,
      flush: mode === "async" ? { mode: "async", intervalMs: 500 } : { mode: "sync" },
    },
  );
  const body = new Uint8Array(BODY_BYTES).fill(3);
  const before = counting.count();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async (_, p) => {
      for (let i = p; i < count; i += producers) await log.append({ topic: "bench", queueId: p % 4, body });
    }),
  );
  const ms = performance.now() - started;
  const fsyncs = counting.count() - before;
  await log.close();
  return { ms, fsyncs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function runBench(): Promise<string[]> {
  const root = mkdtempSync(path.join(os.tmpdir(), "lab01-bench-"));
  let next = 0;
  const fresh = (): RealEnv => createRealEnv({ nodeId: "n1", dataDir: mkdtempSync(path.join(root, `${next++}-`)) });
  const size = recordBytes();
  const lines = [
    `lab 01 log storage: the reference log on node:fs in ${os.tmpdir()} (${os.cpus().length} cores), records of ${size} bytes (1 KiB body);`,
    `  median of ${ROUNDS} rounds, after a warm-up, each on fresh files`,
  ];
  const timed = async <T>(run: (env: RealEnv) => Promise<T>): Promise<T> => {
    const env = fresh();
    try {
      return await run(env);
    } finally {
      await env.close();
    }
  };
  try {
    // Warm-up: the first thousands of calls run before the JIT has compiled anything.
    await timed((env) => rawWrites(env, "raw.log", 5_000, size, 0));
    await timed((env) => logAppends(env, "async", 5_000, 1));
    const raw: number[] = [];
    const asyncLog: number[] = [];
    const syncLog: number[] = [];
    const fsyncs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await timed((env) => rawWrites(env, "raw.log", ASYNC_MESSAGES, size, 0)));
      asyncLog.push((await timed((env) => logAppends(env, "async", ASYNC_MESSAGES, 1))).ms);
      const sync = await timed((env) => logAppends(env, "sync", SYNC_MESSAGES, PRODUCERS));
      syncLog.push(sync.ms);
      fsyncs.push(sync.fsyncs);
    }
    const perFsync = Math.max(1, Math.round(SYNC_MESSAGES / Math.max(1, median(fsyncs))));
    const cadence: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      cadence.push(await timed((env) => rawWrites(env, "raw.log", SYNC_MESSAGES, size, perFsync)));
    }
    const eachMs = await timed((env) => rawWrites(env, "raw.log", FSYNC_EACH_MESSAGES, size, 1));

    const rawRate = ASYNC_MESSAGES / median(raw);
    const asyncRate = ASYNC_MESSAGES / median(asyncLog);
    const syncRate = SYNC_MESSAGES / median(syncLog);
    const cadenceRate = SYNC_MESSAGES / median(cadence);
    const eachRate = FSYNC_EACH_MESSAGES / eachMs;
    const rate = (r: number) => `${Math.round(r * 1000).toLocaleString("en-US")} msg/s`;
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    lines.push(
      `  raw writes, no fsync:                           ${rate(rawRate)} (${((rawRate * 1000 * size) / 1024 / 1024).toFixed(1)} MiB/s)`,
      `  log, async flush, 1 producer:                   ${rate(asyncRate)}: ${pct(asyncRate / rawRate)} of raw (target: at least 70%)`,
      `  log, sync flush + group commit, ${PRODUCERS} producers: ${rate(syncRate)}, about ${perFsync} messages per fsync`,
      `  raw writes, one fsync every ${perFsync} records:           ${rate(cadenceRate)}: the log does ${pct(syncRate / cadenceRate)} of it`,
      `  raw writes, one fsync per record:               ${rate(eachRate)}: group commit does ${(syncRate / eachRate).toFixed(1)}x that`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return lines;
}
