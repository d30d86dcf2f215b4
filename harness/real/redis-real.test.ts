/**
 * The real-server Redis (ioredis, EVAL scripts) keeps the one-client contract every Redis keeps
 * (the behaviour suite, on this machine's Redis or LAB_TEST_REDIS_URL; skipped with one line where
 * nothing answers), races as a server does, and dies as a process does. The chooser falls back to
 * the model when there is no REDIS_URL and no container runtime, and refuses a REDIS_URL that does
 * not answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outcome } from "../outcome.ts";
import { describeRedisBehaviour } from "../redis-behaviour.ts";
import { killAfterRedisWrite } from "./kill-points.ts";
import { chooseRedis, openModelRedis } from "./redis-choose.ts";
import { openRedisServer, type RealRedis } from "./redis-real.ts";
import { checkRedisServer, REDIS_SERVER_URL } from "./test-server.ts";
import { settledWithin, sleep } from "./testing.ts";
import { ServerUnreachable } from "./unreachable.ts";

const problem = await checkRedisServer("the real Redis server's tests");

describe.skipIf(problem !== null)("Redis server (ioredis)", () => {
  let redis: RealRedis;
  beforeAll(async () => {
    redis = await openRedisServer({ url: REDIS_SERVER_URL, kind: "server", origin: "LAB_TEST_REDIS_URL" });
  });
  afterAll(async () => redis?.close());

  describeRedisBehaviour("Redis server", async (body) => {
    await redis.reset();
    const conn = redis.connect("t1");
    try {
      return await body(conn, sleep);
    } finally {
      conn.kill();
    }
  });

  it("says what it is; two clients' SET NX of one key: exactly one OK; keys do not outlive a reset", async () => {
    expect(redis.description).toMatch(/^Redis \d+\.\d+\.\d+ at .+ \(LAB_TEST_REDIS_URL\)$/);
    await redis.reset();
    const [a, b] = [redis.connect("c1"), redis.connect("c2")];
    const seen = await Promise.all([a.set("lease", "c1", { nx: true }), b.set("lease", "c2", { nx: true })]);
    expect([...seen].sort()).toEqual(["OK", null]);
    await redis.reset();
    const c = redis.connect("c3");
    expect(await c.get("lease")).toBe(null);
    for (const conn of [a, b, c]) conn.kill();
  });

  it("a killed connection never answers again, and its pending command never settles", async () => {
    await redis.reset();
    const conn = redis.connect("c1");
    await conn.set("k", "v");
    const pending = conn.get("k");
    conn.kill();
    expect(await settledWithin(pending, 100)).toBe("pending");
    expect(await settledWithin(conn.get("k"), 100)).toBe("pending");
    const other = redis.connect("c2");
    expect(await other.get("k")).toBe("v");
    other.kill();
  });
});

describe("chooseRedis", () => {
  it("no REDIS_URL and no container runtime: the model on the real clock, said in one line", async () => {
    const lines: string[] = [];
    const redis = await chooseRedis({
      env: {},
      findRuntime: async () => ({ found: false, why: "none here" }),
      say: (line) => lines.push(line),
    });
    expect(redis.kind).toBe("model");
    expect(lines).toEqual([expect.stringContaining("no embedded Redis server exists for Node")]);
    expect(lines[0]).toContain("not a real server");
    const conn = redis.connect("c1");
    expect(await conn.set("k", "v", { nx: true, pxMs: 1000 })).toBe("OK");
    await redis.reset();
    expect(await redis.connect("c2").get("k")).toBe(null);
    await redis.close();
  });

  it("a container runtime that fails to start Redis: the model, and the line says why", async () => {
    const lines: string[] = [];
    const redis = await chooseRedis({
      env: {},
      // A runtime "found" at a socket that is not there: testcontainers fails, the model is used.
      findRuntime: async () => ({ found: true, where: "unix:///nonexistent/docker.sock" }),
      say: (line) => lines.push(line),
    });
    expect(redis.kind).toBe("model");
    expect(lines[0]).toMatch(/starting Redis at unix:\/\/\/nonexistent\/docker.sock failed/);
  }, 30_000);

  it("a REDIS_URL that does not answer: ServerUnreachable, one line naming where and why", async () => {
    const failed = await chooseRedis({ env: { REDIS_URL: "redis://127.0.0.1:1" }, say: () => undefined }).catch(
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(ServerUnreachable);
    expect((failed as Error).message).toMatch(/^Redis at 127\.0\.0\.1:1 \(REDIS_URL\) does not answer: .*ECONNREFUSED/);
    expect((failed as Error).message).not.toContain("\n");
  });

  it("the model's commands refuse bad arguments as a server's do", async () => {
    const redis = await chooseRedis({ env: {}, findRuntime: async () => ({ found: false, why: "-" }), say: () => {} });
    expect(await outcome(redis.connect("c1").set("k", "v", { pxMs: 0 }))).toBe("RangeError");
  });
});

describe("killAfterRedisWrite", () => {
  it("kills when the n-th write was answered (reads not counted): the write took effect, the caller never hears", async () => {
    const redis = openModelRedis();
    let kills = 0;
    const conn = killAfterRedisWrite(redis.connect("c1"), 2, () => kills++);
    expect(await conn.set("a", "1")).toBe("OK");
    expect(await conn.get("a")).toBe("1");
    expect(await settledWithin(conn.set("b", "2", { nx: true }), 100)).toBe("pending");
    expect(kills).toBe(1);
    expect(await settledWithin(conn.get("a"), 100)).toBe("pending");
    expect(await redis.connect("c2").get("b")).toBe("2");
  });
});
