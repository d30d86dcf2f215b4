import { describe, expect, it } from "vitest";
import type { Env } from "../env.ts";
import { DiskCostModel } from "../sim/cost-model.ts";
import { inBootedNode } from "../sim/testing.ts";
import { checkPerfBound, type DiskWork, explainDiskWork, measureDiskWork, type PerfBound } from "./perf-bound.ts";

const model = new DiskCostModel();
const RECORDS = 1_000;
const RECORD_BYTES = 1024;

/** Writes RECORDS records of RECORD_BYTES with `write`, on a disk with the calibrated model. */
async function work(write: (env: Env) => Promise<void>): Promise<DiskWork> {
  return inBootedNode({ disk: { cost: model } }, async ({ world, node, env }) => {
    await env.disk.create("log");
    const { work } = await measureDiskWork(
      () => world.nowMs,
      () => node.diskStats,
      () => write(env),
    );
    return work;
  });
}

const perRecord = (env: Env) =>
  (async () => {
    for (let i = 0; i < RECORDS; i++) await env.disk.write("log", i * RECORD_BYTES, new Uint8Array(RECORD_BYTES));
  })();

/** The reference: records gathered in a buffer, written 64 at a time. */
const batched = async (env: Env) => {
  const perCall = 64;
  for (let i = 0; i < RECORDS; i += perCall) {
    const n = Math.min(perCall, RECORDS - i);
    await env.disk.write("log", i * RECORD_BYTES, new Uint8Array(n * RECORD_BYTES));
  }
};

/** The bound a part would set: the reference's figure with a margin of 2. */
async function boundFromReference(workload: string): Promise<PerfBound> {
  const reference = await work(batched);
  return { workload, boundMs: 2 * reference.tookMs };
}

describe("performance bounds in simulated time", () => {
  it("fails one write call per record, naming the calls, the bound and the fix", async () => {
    const bound = await boundFromReference("1,000 appends of 1 KiB under async flush");
    const slow = await work(perRecord);
    const found = checkPerfBound(bound, slow, model);
    expect(found?.name).toBe("too slow");
    const words = found?.explanation ?? "";
    expect(words).toContain("1,000 appends of 1 KiB under async flush took 40 ms of simulated time");
    expect(words).toContain(`over its bound of ${Number(bound.boundMs.toPrecision(2))} ms`);
    expect(words).toContain("1,000 write calls of 1 KiB each");
    expect(words).toContain("The disk model allows about 0.24 ms for these bytes (1,000 KiB in calls of 1 MiB)");
    expect(words).toContain("batch the records into fewer, larger writes");
  });

  it("passes the reference, and still explains its figure", async () => {
    const bound = await boundFromReference("1,000 appends of 1 KiB");
    const fast = await work(batched);
    expect(checkPerfBound(bound, fast, model)).toBeNull();
    expect(explainDiskWork(bound, fast, model)).toContain("16 write calls of 62.5 KiB each");
  });

  it("blames the fsyncs when one per record is what costs", async () => {
    const slow = await work(async (env) => {
      for (let i = 0; i < 100; i++) {
        await env.disk.write("log", i * RECORD_BYTES, new Uint8Array(RECORD_BYTES));
        await env.disk.fsync("log");
      }
    });
    const bound: PerfBound = { workload: "100 appends of 1 KiB under sync flush", boundMs: 10, neededFsyncs: 1 };
    const words = checkPerfBound(bound, slow, model)?.explanation ?? "";
    expect(words).toContain("100 write calls of 1 KiB each, and 100 fsyncs writing 100 KiB to the device");
    expect(words).toContain("and 1 fsync)");
    expect(words).toContain("group commit");
  });

  it("names both fixes when write calls and fsyncs cost about as much", async () => {
    const slow = await work(async (env) => {
      for (let i = 0; i < RECORDS; i++) {
        await env.disk.write("log", i * RECORD_BYTES, new Uint8Array(RECORD_BYTES));
        if (i % 15 === 14) await env.disk.fsync("log");
      }
    });
    const bound: PerfBound = { workload: "1,000 appends of 1 KiB under sync flush", boundMs: 10, neededFsyncs: 1 };
    const words = checkPerfBound(bound, slow, model)?.explanation ?? "";
    expect(words).toContain("1,000 write calls of 1 KiB each, and 66 fsyncs");
    expect(words).toContain("the write calls (40 ms of fixed costs) and the fsyncs (40 ms) take about as long");
    expect(words).toContain("batch the records into fewer, larger writes, and let each fsync cover more of them");
  });

  it("says when the time is not the disk's", async () => {
    const slow = await inBootedNode({ disk: { cost: model } }, async ({ world, node, env }) => {
      await env.disk.create("log");
      const { work } = await measureDiskWork(
        () => world.nowMs,
        () => node.diskStats,
        async () => {
          for (let i = 0; i < 10; i++) {
            await env.disk.write("log", i * RECORD_BYTES, new Uint8Array(RECORD_BYTES));
            await env.clock.sleep(5);
          }
        },
      );
      return work;
    });
    const words = checkPerfBound({ workload: "10 appends", boundMs: 1 }, slow, model)?.explanation ?? "";
    expect(words).toContain("took 50 ms of simulated time");
    expect(words).toContain("the rest is waiting");
  });
});
