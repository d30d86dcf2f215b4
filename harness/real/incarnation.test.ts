/**
 * Killing and restarting a real process that has a business database, on the in-process network:
 * on PGlite (always) and on the PostgreSQL server (this machine's, or `LAB_TEST_DATABASE_URL`;
 * skipped with one line where nothing answers). Each kill is checked from outside the process: a
 * second connection sees the rollback or the commit, the broker node sees which requests arrived,
 * and a real wait shows that nothing fires or settles afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, UniqueViolation } from "../db.ts";
import type { Net } from "../env.ts";
import type { RealDatabase } from "./db.ts";
import { openPglite } from "./db-pglite.ts";
import { RealNode } from "./incarnation.ts";
import { killAfterCommit, killAfterResolve, killAtSend } from "./kill-points.ts";
import { RealNetwork } from "./net.ts";
import { checkServer, databaseForBlock, openServerSchema, SERVER_URL } from "./test-server.ts";
import { settledWithin, sleep } from "./testing.ts";

const serverProblem = await checkServer("the kill tests on the PostgreSQL server");

/** Resolves once `condition` holds (polled every 5 ms); fails after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(5);
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh world: the database emptied, a network with a broker that records what reaches it. */
async function world(db: RealDatabase) {
  await db.reset();
  const network = new RealNetwork();
  const broker = network.join("broker");
  const heard: string[] = [];
  broker.onRequest((_, request) => {
    heard.push((request as { kind: string }).kind);
    return "ok";
  });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lab-incarnation-"));
  dirs.push(dataDir);
  const node = new RealNode({ nodeId: "p1", network, dataDir, database: db });
  return { network, heard, node };
}

/** A producer's step, in the order lab 03's producer takes it: half, local commit, end. */
async function produce(net: Net, db: Database, steps: string[] = []) {
  await net.request("broker", { kind: "half" }, { timeoutMs: 1000 });
  steps.push("half answered");
  await db.transaction((tx) => tx.insert("local-tx", "t1", { state: "commit" }));
  steps.push("local commit heard");
  await net.request("broker", { kind: "end" }, { timeoutMs: 1000 });
  steps.push("end answered");
  return "done";
}

function describeKills(name: string, open: () => Promise<RealDatabase>, skip = false) {
  describe.skipIf(skip)(`killing a real process, on ${name}`, () => {
    const db = databaseForBlock(open);

    it("kill: the open transaction rolls back (seen from a second connection), nothing fires or settles, and a restart works", async () => {
      const { node, heard } = await world(db());
      const inc = node.start();
      let inserted: () => void = () => undefined;
      const whenInserted = new Promise<void>((resolve) => {
        inserted = resolve;
      });
      const open = inc.db.transaction(async (tx) => {
        await tx.insert("orders", "o1", "zombie");
        inserted();
        await new Promise(() => {}); // the process dies inside its transaction
      });
      await whenInserted;
      // A second process: it waits for the open transaction (a row lock on a server, the one
      // connection on PGlite), and inserts only if that transaction rolled back.
      const witness = db()
        .connect("witness")
        .transaction((tx) => tx.insertIfAbsent("orders", "o1", "witness"));
      expect(await settledWithin(witness, 200)).toBe("pending");
      const fired: string[] = [];
      inc.env.clock.setTimer(30, () => fired.push("timer"));
      inc.env.clock.setInterval(10, () => fired.push("interval"));
      const request = inc.env.net.request("nobody", { kind: "lost" }, { timeoutMs: 30 });
      inc.kill();
      expect(await settledWithin(witness, 5000)).toBe(true);
      expect(await db().rows("orders")).toEqual([{ key: "o1", row: "witness" }]);
      expect((await db().history()).map((c) => c.client)).toEqual(["witness"]);
      await sleep(80);
      expect(fired).toEqual([]);
      expect(await settledWithin(open, 1)).toBe("pending");
      expect(await settledWithin(request, 1)).toBe("pending");
      expect(
        await settledWithin(
          inc.db.transaction((tx) => tx.get("orders", "o1")),
          50,
        ),
      ).toBe("pending");
      expect(await inc.call(() => "hello")).toEqual({ kind: "down" });
      expect(node.deaths.map((d) => d.incarnation)).toEqual([1]);

      const next = node.restart();
      expect(next.number).toBe(2);
      expect(next.env.incarnation).toBe(2);
      expect(await next.call(() => produce(next.env.net, next.db))).toEqual({ kind: "ok", value: "done" });
      expect(heard).toEqual(["half", "end"]);
      expect(() => node.start()).toThrow(/already running/);
      await node.stop();
      expect(node.isUp).toBe(false);
    });

    it("a transaction begun just before the kill, not yet connected or still queued, never reaches the database", async () => {
      const { node } = await world(db());
      const inc = node.start();
      let held: () => void = () => undefined;
      const holding = new Promise<void>((resolve) => {
        held = resolve;
      });
      // The first holds its connection (PGlite's only one); the second is queued behind it there,
      // and on a server is still waiting for a pooled connection when the kill comes.
      void inc.db.transaction(async (tx) => {
        await tx.put("t", "first", 1);
        held();
        await new Promise(() => {});
      });
      await holding;
      void inc.db.transaction((tx) => tx.put("t", "second", 1));
      inc.kill();
      await sleep(300);
      await db()
        .connect("witness")
        .transaction((tx) => tx.put("t", "witness", 1));
      expect((await db().rows("t")).map((r) => r.key)).toEqual(["witness"]);
    });

    it("killAfterCommit(1): committed on the database, and the caller never goes on: the end request is never sent", async () => {
      const { node, heard } = await world(db());
      const inc = node.start({ killAt: { kind: "afterCommit", n: 1 } });
      const steps: string[] = [];
      expect(await inc.call(() => produce(inc.env.net, inc.db, steps))).toEqual({ kind: "crashed", reason: "crash" });
      await sleep(50);
      expect(steps).toEqual(["half answered"]);
      expect(heard).toEqual(["half"]);
      expect(await db().rows("local-tx")).toEqual([{ key: "t1", row: { state: "commit" } }]);
      expect(inc.alive).toBe(false);
    });

    it("killAfterCommit(2) counts committed transactions only: one that threw and one that failed do not count", async () => {
      const { node } = await world(db());
      const inc = node.start({ killAt: { kind: "afterCommit", n: 2 } });
      await inc.db.transaction((tx) => tx.put("t", "a", 1));
      await expect(
        inc.db.transaction(async (tx) => {
          await tx.put("t", "b", 1);
          throw new Error("business rule");
        }),
      ).rejects.toThrow("business rule");
      await expect(inc.db.transaction((tx) => tx.insert("t", "a", 2))).rejects.toBeInstanceOf(UniqueViolation);
      expect(inc.alive).toBe(true);
      const second = inc.db.transaction((tx) => tx.put("t", "c", 1));
      await inc.died;
      expect(await settledWithin(second, 50)).toBe("pending");
      expect((await db().rows("t")).map((r) => r.key)).toEqual(["a", "c"]);
    });

    it("killAtSend(1, half requests only): the half arrives, its reply is never heard, no transaction begins, heartbeats stop", async () => {
      const { node, heard } = await world(db());
      const isHalf = (_: string, request: unknown) => (request as { kind: string }).kind === "half";
      const inc = node.start({ killAt: { kind: "atSend", n: 1, which: isHalf } });
      inc.env.clock.setInterval(
        10,
        () => void inc.env.net.request("broker", { kind: "heartbeat" }, { timeoutMs: 100 }),
      );
      // Heartbeats are requests too, and the filter leaves them out.
      await until(() => heard.length >= 2);
      expect(inc.alive).toBe(true);
      expect(await inc.call(() => produce(inc.env.net, inc.db))).toEqual({ kind: "crashed", reason: "crash" });
      await sleep(20);
      const afterKill = heard.length;
      await sleep(60);
      expect(heard.length).toBe(afterKill);
      expect(heard.filter((kind) => kind !== "heartbeat")).toEqual(["half"]);
      expect(heard.at(-1)).toBe("half");
      expect(await db().rows("local-tx")).toEqual([]);
    });

    it("killAtSend(2): killed with the end request on its way; the local commit stands and the end arrives", async () => {
      const { node, heard } = await world(db());
      const inc = node.start({ killAt: { kind: "atSend", n: 2 } });
      const steps: string[] = [];
      expect(await inc.call(() => produce(inc.env.net, inc.db, steps))).toEqual({ kind: "crashed", reason: "crash" });
      await sleep(30);
      expect(steps).toEqual(["half answered", "local commit heard"]);
      expect(heard).toEqual(["half", "end"]);
      expect(await db().rows("local-tx")).toEqual([{ key: "t1", row: { state: "commit" } }]);
    });

    it("killAfter(boot): killed right after the boot resolves, before its caller goes on; a rejection kills nothing", async () => {
      const { node, heard } = await world(db());
      const inc = node.start();
      const boot = async () => {
        await inc.env.net.request("broker", { kind: "hello" }, { timeoutMs: 1000 });
        inc.env.clock.setInterval(
          10,
          () => void inc.env.net.request("broker", { kind: "heartbeat" }, { timeoutMs: 100 }),
        );
        return { ready: true };
      };
      let continued = false;
      void inc.killAfter(boot()).then(() => {
        continued = true;
      });
      await inc.died;
      await sleep(60);
      expect(continued).toBe(false);
      expect(heard).toEqual(["hello"]);

      const next = node.start();
      await expect(next.killAfter(Promise.reject(new Error("boot failed")))).rejects.toThrow("boot failed");
      expect(next.alive).toBe(true);
      node.kill();
    });
  });
}

describeKills("PGlite (embedded)", () => openPglite("kill tests"));
describeKills(
  `the PostgreSQL server at ${SERVER_URL}`,
  () => openServerSchema("lab_kill", "kill tests"),
  serverProblem !== null,
);

describe("kill points, alone", () => {
  it("count from 1", () => {
    const net = new RealNetwork().join("x");
    const db: Database = { transaction: () => Promise.reject(new Error("unused")) };
    expect(() => killAtSend(net, 0, () => undefined)).toThrow(RangeError);
    expect(() => killAfterCommit(db, 1.5, () => undefined)).toThrow(RangeError);
  });

  it("killAfterResolve kills once the promise resolves and never settles; a plain wait for the same promise still goes on", async () => {
    let kills = 0;
    const source = Promise.resolve(7);
    const guarded = killAfterResolve(source, () => kills++);
    expect(await source).toBe(7);
    expect(await settledWithin(guarded, 20)).toBe("pending");
    expect(kills).toBe(1);
  });
});
