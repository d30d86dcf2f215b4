import { describe, expect, it } from "vitest";
import { DiskError, type Env } from "../env.ts";
import { SECTOR_BYTES } from "./disk-model.ts";
import { envOf, envWorld, inBootedNode, simulate } from "./testing.ts";

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const filled = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);

/** Runs `setup` on a fresh disk, cuts the power, restarts, and returns what `inspect` reads. */
async function afterPowerLoss<T>(
  seed: number,
  setup: (env: Env) => Promise<void>,
  inspect: (env: Env) => Promise<T>,
): Promise<T> {
  const { world, node } = envWorld({ seed });
  return simulate(world, async () => {
    await node.start();
    await setup(await envOf(node));
    node.powerLoss();
    await node.start();
    return inspect(await envOf(node));
  });
}

async function readAll(env: Env, path: string): Promise<Uint8Array | null> {
  if (!(await env.disk.exists(path))) return null;
  return env.disk.read(path, 0, await env.disk.size(path));
}

describe("disk: the page cache", () => {
  it("reads see writes that were never synced", async () => {
    const seen = await inBootedNode({}, async ({ env }) => {
      await env.disk.create("f");
      await env.disk.write("f", 0, bytes(1, 2, 3));
      await env.disk.write("f", 5, bytes(9));
      return readAll(env, "f");
    });
    expect(seen).toEqual(bytes(1, 2, 3, 0, 0, 9));
  });

  it("a process crash keeps unsynced writes and unsynced directory changes", async () => {
    const seen = await inBootedNode({}, async ({ node, env }) => {
      await env.disk.mkdir("d");
      await env.disk.create("d/f");
      await env.disk.write("d/f", 0, bytes(7, 7));
      await env.disk.rename("d/f", "d/g");
      node.crash();
      await node.start();
      const after = await envOf(node);
      return { list: await after.disk.list("d"), data: await readAll(after, "d/g") };
    });
    expect(seen).toEqual({ list: ["g"], data: bytes(7, 7) });
  });

  it("a write copies its buffer: changing it afterwards changes nothing", async () => {
    const seen = await inBootedNode({}, async ({ env }) => {
      await env.disk.create("f");
      const buffer = bytes(1, 1);
      const pending = env.disk.write("f", 0, buffer);
      buffer[0] = 5;
      await pending;
      return readAll(env, "f");
    });
    expect(seen).toEqual(bytes(1, 1));
  });
});

describe("disk: power loss", () => {
  const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);

  it("keeps everything that was fsynced, file and directory, on every seed", async () => {
    for (const seed of SEEDS.slice(0, 60)) {
      const seen = await afterPowerLoss(
        seed,
        async (env) => {
          await env.disk.mkdir("d");
          await env.disk.create("d/f");
          await env.disk.write("d/f", 0, filled(1500, 4));
          await env.disk.fsync("d/f");
          await env.disk.fsyncDir("d");
          await env.disk.fsyncDir("");
          await env.disk.write("d/f", 2000, filled(100, 5)); // not synced: may or may not survive
        },
        (env) => readAll(env, "d/f"),
      );
      expect(seen?.subarray(0, 1500), `seed ${seed}`).toEqual(filled(1500, 4));
    }
  });

  it("loses some unsynced writes, keeps others, tears some at sector boundaries, and applies them out of order", async () => {
    const outcomes = new Set<string>();
    for (const seed of SEEDS) {
      const seen = await afterPowerLoss(
        seed,
        async (env) => {
          await env.disk.create("f");
          await env.disk.fsyncDir("");
          await env.disk.fsync("f");
          await env.disk.write("f", 0, filled(3 * SECTOR_BYTES, 1)); // three sectors of 1s
          await env.disk.write("f", 0, filled(SECTOR_BYTES, 2)); // then sector 0 again, as 2s
        },
        (env) => readAll(env, "f"),
      );
      const sectors = [0, 1, 2].map((i) =>
        seen && seen.length > i * SECTOR_BYTES ? (seen[i * SECTOR_BYTES] ?? 0) : -1,
      );
      if (seen === null || seen.length === 0) outcomes.add("all lost");
      else if (sectors[0] === 2 && sectors[1] === 1 && sectors[2] === 1) outcomes.add("all kept, in order");
      else if (sectors[0] === 1 && sectors[1] === 1) outcomes.add("reordered: the older write landed last");
      if (sectors.includes(0) || (seen !== null && seen.length > 0 && sectors.includes(-1) && sectors[0] !== 2))
        outcomes.add("torn");
      if (seen !== null && seen.length === 3 * SECTOR_BYTES && sectors[1] === 0)
        outcomes.add("a hole of zeros where a sector was lost");
    }
    expect([...outcomes].sort()).toEqual(
      [
        "a hole of zeros where a sector was lost",
        "all kept, in order",
        "all lost",
        "reordered: the older write landed last",
        "torn",
      ].sort(),
    );
  });

  it("forgets creates, renames and deletes that were not followed by an fsync of their directory", async () => {
    const outcomes = new Set<string>();
    for (const seed of SEEDS) {
      const names = await afterPowerLoss(
        seed,
        async (env) => {
          await env.disk.create("a");
          await env.disk.fsync("a");
          await env.disk.fsyncDir("");
          await env.disk.create("b");
          await env.disk.rename("a", "c");
          await env.disk.unlink("b");
        },
        (env) => env.disk.list(""),
      );
      outcomes.add(names.join(","));
    }
    // A prefix of the directory journal survives: [] + create b + rename a->c + unlink b.
    expect([...outcomes].sort()).toEqual(["a", "a,b", "b,c", "c"].sort());
  });

  it("fsyncDir makes every earlier change to that directory durable", async () => {
    for (const seed of SEEDS.slice(0, 40)) {
      const names = await afterPowerLoss(
        seed,
        async (env) => {
          await env.disk.create("a");
          await env.disk.rename("a", "b");
          await env.disk.fsyncDir("");
        },
        (env) => env.disk.list(""),
      );
      expect(names, `seed ${seed}`).toEqual(["b"]);
    }
  });
});

describe("disk: fsync", () => {
  it("covers only the writes that completed before it was called", async () => {
    let lostOnce = false;
    for (let seed = 1; seed <= 100 && !lostOnce; seed++) {
      const seen = await afterPowerLoss(
        seed,
        async (env) => {
          await env.disk.create("f");
          await env.disk.fsyncDir("");
          await env.disk.write("f", 0, bytes(1));
          const flushing = env.disk.fsync("f");
          await env.disk.write("f", 1, bytes(2)); // completes while the fsync is in flight
          await flushing;
        },
        (env) => readAll(env, "f"),
      );
      expect(seen?.[0], `seed ${seed}: the write before fsync must survive`).toBe(1);
      if (seen?.length === 1) lostOnce = true;
    }
    expect(lostOnce).toBe(true);
  });

  it("fails with EIO on demand, drops the unsynced data, and a retried fsync 'succeeds' with the data gone", async () => {
    const seen = await inBootedNode({}, async ({ node, env }) => {
      await env.disk.create("f");
      await env.disk.write("f", 0, bytes(1, 1));
      await env.disk.fsync("f");
      await env.disk.write("f", 0, bytes(2, 2, 2));
      node.disk.failNextFsyncs = 1;
      const first = await env.disk.fsync("f").then(
        () => "ok",
        (error: unknown) => (error instanceof DiskError ? error.code : "other"),
      );
      await env.disk.fsync("f");
      return { first, data: await readAll(env, "f") };
    });
    expect(seen).toEqual({ first: "EIO", data: bytes(1, 1) });
  });

  it("flushes one at a time: ten fsyncs take ten times as long as one", async () => {
    const elapsed = await inBootedNode({ disk: { fsyncMs: 2, writeMs: 0.01 } }, async ({ world, env }) => {
      await env.disk.create("f");
      const start = world.nowMs;
      await env.disk.fsync("f");
      const one = world.nowMs - start;
      const startMany = world.nowMs;
      await Promise.all(Array.from({ length: 10 }, () => env.disk.fsync("f")));
      return { one, ten: world.nowMs - startMany };
    });
    expect(elapsed.one).toBeCloseTo(2);
    expect(elapsed.ten).toBeCloseTo(20);
  });
});

describe("disk: other faults and errors", () => {
  it("returns one flipped bit on demand, while the stored data stays intact", async () => {
    const seen = await inBootedNode({}, async ({ node, env }) => {
      await env.disk.create("f");
      await env.disk.write("f", 0, filled(64, 0));
      node.disk.flipNextReads = 1;
      const flipped = await env.disk.read("f", 0, 64);
      const clean = await env.disk.read("f", 0, 64);
      return { flippedBits: flipped.reduce((n, b) => n + popcount(b), 0), clean };
    });
    expect(seen.flippedBits).toBe(1);
    expect(seen.clean).toEqual(filled(64, 0));
  });

  it("fails writes that grow files past the quota with ENOSPC and writes nothing", async () => {
    const seen = await inBootedNode({}, async ({ node, env }) => {
      await env.disk.create("f");
      await env.disk.write("f", 0, filled(10, 1));
      node.disk.quotaBytes = 12;
      const grow = await env.disk.write("f", 10, filled(5, 2)).then(
        () => "ok",
        (error: unknown) => (error as DiskError).code,
      );
      await env.disk.write("f", 0, filled(10, 3)); // overwriting in place needs no space
      return { grow, data: await readAll(env, "f") };
    });
    expect(seen).toEqual({ grow: "ENOSPC", data: filled(10, 3) });
  });

  it("reports POSIX errors: ENOENT, EEXIST, ENOTEMPTY, EISDIR", async () => {
    const codes = await inBootedNode({}, async ({ env }) => {
      const code = (p: Promise<unknown>) =>
        p.then(
          () => "ok",
          (error: unknown) => (error as DiskError).code,
        );
      await env.disk.mkdir("d");
      await env.disk.create("d/f");
      return [
        await code(env.disk.read("missing", 0, 1)),
        await code(env.disk.create("d/f")),
        await code(env.disk.unlink("d")),
        await code(env.disk.write("d", 0, bytes(1))),
        await code(env.disk.create("nodir/f")),
      ];
    });
    expect(codes).toEqual(["ENOENT", "EEXIST", "ENOTEMPTY", "EISDIR", "ENOENT"]);
  });

  it("rejects negative or fractional offsets with a RangeError", async () => {
    const error = await inBootedNode({}, async ({ env }) => {
      await env.disk.create("f");
      return env.disk.write("f", -1, bytes(1)).then(
        () => null,
        (e: unknown) => e,
      );
    });
    expect(error).toBeInstanceOf(RangeError);
  });
});

function popcount(b: number): number {
  let n = 0;
  for (let x = b; x > 0; x >>= 1) n += x & 1;
  return n;
}
