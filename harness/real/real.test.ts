import { describe, expect, it } from "vitest";
import { openRegister } from "../../labs/00-durable-register/solution/register.ts";
import { DiskError } from "../env.ts";
import { createRealEnv } from "./env.ts";
import { RealNetwork } from "./net.ts";
import { tempDirs } from "./testing.ts";

const tempDir = tempDirs("lab-real-");

describe("real environment", () => {
  it("runs lab 00's reference register on node:fs, across a reopen", async () => {
    const dataDir = tempDir();
    const first = createRealEnv({ nodeId: "n1", dataDir });
    const register = await openRegister(first);
    expect(await register.load()).toBeUndefined();
    await register.save("hello");
    await register.save("world");
    await first.close();
    const second = createRealEnv({ nodeId: "n1", dataDir });
    expect(await (await openRegister(second)).load()).toBe("world");
    await second.close();
  });

  it("maps node:fs errors to DiskError codes and keeps paths inside the data directory", async () => {
    const env = createRealEnv({ nodeId: "n1", dataDir: tempDir() });
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (e instanceof DiskError ? e.code : String(e)),
      );
    await env.disk.mkdir("d");
    await env.disk.create("d/f");
    await env.disk.write("d/f", 4, Uint8Array.of(1, 2));
    expect(await env.disk.read("d/f", 0, 10)).toEqual(Uint8Array.of(0, 0, 0, 0, 1, 2));
    expect(await code(env.disk.create("d/f"))).toBe("EEXIST");
    expect(await code(env.disk.read("nope", 0, 1))).toBe("ENOENT");
    expect(await code(env.disk.unlink("d"))).toBe("ENOTEMPTY");
    await expect(env.disk.read("../../etc/passwd", 0, 1)).rejects.toThrow(RangeError);
    await env.disk.fsync("d/f");
    await env.disk.fsyncDir("d");
    await env.disk.rename("d/f", "d/g");
    expect(await env.disk.list("d")).toEqual(["g"]);
    expect(await env.disk.size("d/g")).toBe(6);
    await env.close();
  });

  it("delivers requests between nodes on one in-process network, and times out to maybe", async () => {
    const network = new RealNetwork();
    const a = createRealEnv({ nodeId: "a", dataDir: tempDir(), network });
    const b = createRealEnv({ nodeId: "b", dataDir: tempDir(), network });
    b.net.onRequest((from, request) => `${from} said ${String(request)}`);
    expect(await a.net.request("b", "hi", { timeoutMs: 1000 })).toEqual({ kind: "ok", reply: "a said hi" });
    expect(await a.net.request("nobody", "hi", { timeoutMs: 20 })).toEqual({ kind: "maybe", reason: "timeout" });
    const started = a.clock.now();
    await a.clock.sleep(20);
    expect(a.clock.now() - started).toBeGreaterThanOrEqual(15);
    await a.close();
    await b.close();
  });
});
