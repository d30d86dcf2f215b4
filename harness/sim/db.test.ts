/**
 * The simulated business database keeps READ COMMITTED's promises under concurrency, and its
 * faults do what docs/business-database.md says: a crash rolls back, committed rows survive, a lost
 * reply leaves the outcome unknown. Races are real here: two transactions that check and then
 * write interleave.
 */
import { describe, expect, it } from "vitest";
import { type Database, type JsonValue, type Transaction, UniqueViolation } from "../db.ts";
import { describeDatabaseBehaviour } from "../db-behaviour.ts";
import type { Env } from "../env.ts";
import { type DbProfile, SimDatabase } from "./db.ts";
import type { SimNode } from "./node.ts";
import { expectSeedDecides, outcomeOn, type TwoClients, twoClients } from "./service-testing.ts";
import { inBootedNode } from "./testing.ts";
import { World } from "./world.ts";

describeDatabaseBehaviour("simulated database", (body) =>
  inBootedNode({}, ({ world, env }) => body(new SimDatabase(world).connect(env))),
);

/** Two client processes, a and b, each with its own connection to one database. */
interface Clients extends TwoClients<Api> {
  db: SimDatabase;
}

interface Api {
  env: Env;
  db: Database;
}

/** Fixed latencies make the timelines below exact: a round trip takes 2 ms, a commit's flush 1 ms. */
const exact: Partial<DbProfile> = { networkMs: 1, commitMs: 1, brokenConnectionMs: 50 };

function clients(seed = 1, profile: Partial<DbProfile> = exact): Clients {
  const world = new World({ seed });
  const db = new SimDatabase(world, profile);
  return { db, ...twoClients(world, (env): Api => ({ env, db: db.connect(env) })) };
}

/** Runs a transaction on the node's current process; "crashed" if the process died first. */
function txOn<T>(node: SimNode<Api>, work: (tx: Transaction, env: Env) => Promise<T>): Promise<T | string> {
  return outcomeOn(node, (api) => api.db.transaction((tx) => work(tx, api.env)));
}

/** The classic consumer step: check a dedup mark, then record it and the effect. */
function checkThenWrite(write: "insert" | "put", messageKey: string, effectKey: string) {
  return async (tx: Transaction, env: Env): Promise<string> => {
    if ((await tx.get("dedup", messageKey)) !== undefined) return "skipped";
    await env.clock.sleep(1); // the handler's work, between the check and the write
    await tx[write]("dedup", messageKey, env.nodeId);
    await tx.put("effects", effectKey, 1);
    return "applied";
  };
}

describe("simulated database: READ COMMITTED under concurrency", () => {
  it("a statement sees only what was committed before it began (and a later one sees more)", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      const writer = txOn(c.nodes.a, async (tx, env) => {
        await tx.put("t", "k", "new");
        await env.clock.sleep(10);
        return "done";
      });
      const reader = txOn(c.nodes.b, async (tx, env) => {
        await env.clock.sleep(4);
        const during = await tx.get("t", "k");
        const scanned = await tx.scan("t");
        await env.clock.sleep(20);
        return { during, scanned, after: await tx.get("t", "k") };
      });
      return { writer: await writer, reader: await reader };
    });
    expect(seen).toEqual({ writer: "done", reader: { during: undefined, scanned: [], after: "new" } });
  });

  it("check-then-insert: both see 'absent'; the second insert waits for the first transaction, then fails with UniqueViolation", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      return Promise.all([
        txOn(c.nodes.a, checkThenWrite("insert", "m1", "charge-by-a")),
        txOn(c.nodes.b, checkThenWrite("insert", "m1", "charge-by-b")),
      ]);
    });
    expect(seen.sort()).toEqual(["UniqueViolation", "applied"]);
    expect(c.db.rows("effects")).toHaveLength(1);
    expect(c.db.rows("dedup")).toHaveLength(1);
    const [winner, loser] = c.db.transactions;
    expect(winner?.outcome).toBe("committed");
    expect(loser?.outcome).toBe("rolled back");
    // The loser's insert waited: its transaction ended only after the winner's commit.
    const trace = c.world.trace.recent().join("\n");
    expect(trace).toMatch(/tx \d insert dedup\/m1 waits for tx \d/);
    expect(loser?.endedAtMs).toBeGreaterThan(winner?.endedAtMs ?? Infinity);
  });

  it("check-then-insert: when the first transaction rolls back, the waiting insert succeeds", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      const first = txOn(c.nodes.a, async (tx, env) => {
        await tx.insert("dedup", "m1", "a");
        await env.clock.sleep(10);
        throw new Error("handler failed");
      });
      const second = txOn(c.nodes.b, async (tx, env) => {
        await env.clock.sleep(3);
        await tx.insert("dedup", "m1", "b");
        return "inserted";
      });
      return [await first, await second];
    });
    expect(seen).toEqual(["Error", "inserted"]);
    expect(c.db.rows("dedup")).toEqual([{ key: "m1", row: "b" }]);
  });

  it("check-then-put: both see 'absent' and both commit: the effect is applied twice", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      return Promise.all([
        txOn(c.nodes.a, checkThenWrite("put", "m1", "charge-by-a")),
        txOn(c.nodes.b, checkThenWrite("put", "m1", "charge-by-b")),
      ]);
    });
    expect(seen).toEqual(["applied", "applied"]);
    expect(c.db.rows("effects").map((r) => r.key)).toEqual(["charge-by-a", "charge-by-b"]);
    const writesOfM1 = c.db.history().flatMap((t) => t.writes.filter((w) => w.key === "m1"));
    expect(writesOfM1).toHaveLength(2);
  });

  it("read-modify-write: get then put loses an update; getForUpdate serialises the two", async () => {
    const increment = (read: "get" | "getForUpdate") => async (tx: Transaction, env: Env) => {
      const n = (await tx[read]<number>("t", "counter")) ?? 0;
      await env.clock.sleep(1);
      await tx.put("t", "counter", n + 1);
      return n;
    };
    const counterAfter = async (read: "get" | "getForUpdate"): Promise<JsonValue | undefined> => {
      const c = clients();
      await c.run(async () => {
        await txOn(c.nodes.a, (tx) => tx.put("t", "counter", 0));
        await Promise.all([txOn(c.nodes.a, increment(read)), txOn(c.nodes.b, increment(read))]);
      });
      return c.db.row("t", "counter");
    };
    expect(await counterAfter("get")).toBe(1);
    expect(await counterAfter("getForUpdate")).toBe(2);
  });

  it("two transactions that lock in opposite orders: one fails with TransactionConflict (deadlock), the other commits", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      const lockBoth = (first: string, second: string) => async (tx: Transaction, env: Env) => {
        await tx.put("t", first, env.nodeId);
        await env.clock.sleep(2);
        await tx.put("t", second, env.nodeId);
        return "committed";
      };
      return Promise.all([txOn(c.nodes.a, lockBoth("x", "y")), txOn(c.nodes.b, lockBoth("y", "x"))]);
    });
    expect(seen.sort()).toEqual(["TransactionConflict", "committed"]);
    expect(c.db.history()).toHaveLength(1);
  });
});

describe("simulated database: faults", () => {
  it("a crash rolls back the process's open transaction and releases its locks; committed rows survive", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      await txOn(c.nodes.a, (tx) => tx.put("t", "kept", 1));
      const stuck = txOn(c.nodes.a, async (tx, env) => {
        await tx.put("t", "k", "a");
        await env.clock.sleep(1000);
      });
      await c.world.sleep(10);
      const waiting = txOn(c.nodes.b, (tx) => tx.put("t", "k", "b").then(() => c.world.nowMs));
      await c.world.sleep(10);
      c.nodes.a.crash();
      const crashAtMs = c.world.nowMs;
      return { stuck: await stuck, bPutAtMs: await waiting, crashAtMs };
    });
    expect(seen.stuck).toBe("crashed");
    // b's put waited for a's lock until the crash released it.
    expect(seen.bPutAtMs).toBeGreaterThan(seen.crashAtMs);
    expect(c.db.rows("t")).toEqual([
      { key: "k", row: "b" },
      { key: "kept", row: 1 },
    ]);
    expect(c.db.transactions.map((t) => t.reason)).toEqual(["committed", "the client crashed", "committed"]);
    expect(c.db.openCount).toBe(0);
  });

  it("a commit already sent when the process crashes still commits; one not yet sent does not", async () => {
    // With exact latencies, from the call at t: BEGIN arrives t+1, back t+2; put t+3, back t+4;
    // COMMIT sent t+4, arrives t+5, flushed t+6.
    const crashAt = async (afterMs: number): Promise<JsonValue[]> => {
      const c = clients();
      await c.run(async () => {
        const startMs = c.world.nowMs;
        c.world.at(startMs + afterMs, "crash", () => c.nodes.a.crash());
        expect(await txOn(c.nodes.a, (tx) => tx.put("t", "k", afterMs))).toBe("crashed");
        await c.world.sleep(20);
      });
      return c.db.rows("t").map((r) => r.row);
    };
    expect(await crashAt(3.5)).toEqual([]);
    expect(await crashAt(4.5)).toEqual([4.5]);
    expect(await crashAt(5.5)).toEqual([5.5]);
  });

  it("a fault aimed at the 'db' gap strikes after a write or a commit took effect, before its caller hears", async () => {
    const crashAfter = async (dbCalls: number) => {
      const c = clients();
      let label = "";
      const seen = await c.run(async () => {
        c.nodes.a.armTrip("db", dbCalls, (what) => {
          label = what;
          c.nodes.a.crash();
        });
        return txOn(c.nodes.a, async (tx) => {
          await tx.get("t", "k"); // a read is no gap
          await tx.put("t", "k", 1);
          await tx.insertIfAbsent("t", "k", 2); // false: it changed nothing, no gap either
          await tx.put("t", "j", 1);
        });
      });
      return { seen, label, rows: c.db.rows("t").length };
    };
    expect(await crashAfter(1)).toEqual({ seen: "crashed", label: "put t/k (tx 1)", rows: 0 });
    expect(await crashAfter(2)).toEqual({ seen: "crashed", label: "put t/j (tx 1)", rows: 0 });
    expect(await crashAfter(3)).toEqual({ seen: "crashed", label: "commit (tx 1)", rows: 2 });
  });

  it("a fault plan aims a crash at the 'db' gap, and the timeline says where it struck", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      const faults = c.crashAtSecondGap("db");
      const first = await txOn(c.nodes.a, (tx) => tx.put("t", "k", 1));
      await faults.healed();
      return { first, after: await txOn(c.nodes.a, (tx) => tx.get("t", "k")), said: faults.said() };
    });
    // The commit took effect; its caller crashed before hearing; the restarted process reads it.
    expect(seen).toMatchObject({ first: "crashed", after: 1 });
    expect(seen.said.join("\n")).toContain("right after its 2nd database write or commit since 0 ms: commit (tx 1)");
  });

  it("a pause aimed at the 'db' gap holds the reply, and the row lock, until the node resumes", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      c.pauseAtNextGap("db", 50);
      const paused = txOn(c.nodes.a, (tx) => tx.put("t", "k", "a").then(() => c.world.nowMs));
      await c.world.sleep(10);
      const waiting = txOn(c.nodes.b, (tx) => tx.put("t", "k", "b").then(() => c.world.nowMs));
      return { aHeardAtMs: await paused, bWroteAtMs: await waiting };
    });
    expect(seen.aHeardAtMs).toBeGreaterThanOrEqual(50);
    expect(seen.bWroteAtMs).toBeGreaterThan(Number(seen.aHeardAtMs));
    expect(c.db.rows("t")).toEqual([{ key: "k", row: "b" }]);
  });

  it("a lost commit reply: the caller gets CommitOutcomeUnknown, and the transaction committed", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      c.db.loseCommitReplies("a", 1);
      const first = await txOn(c.nodes.a, (tx) => tx.put("t", "k", 1));
      const second = await txOn(c.nodes.a, (tx) => tx.put("t", "k", 2));
      return { first, second };
    });
    expect(seen).toEqual({ first: "CommitOutcomeUnknown", second: undefined });
    expect(c.db.history().map((t) => t.writes)).toEqual([
      [{ table: "t", key: "k", row: 1 }],
      [{ table: "t", key: "k", row: 2 }],
    ]);
  });

  it("an injected serialization failure rolls the commit back with TransactionConflict", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      c.db.abortCommits("a", 1);
      return [await txOn(c.nodes.a, (tx) => tx.put("t", "k", 1)), await txOn(c.nodes.a, (tx) => tx.put("t", "j", 1))];
    });
    expect(seen).toEqual(["TransactionConflict", undefined]);
    expect(c.db.rows("t").map((r) => r.key)).toEqual(["j"]);
  });

  it("cut off: open transactions roll back, calls fail with ConnectionLost; after heal it works again", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      const open = txOn(c.nodes.a, async (tx, env) => {
        await tx.put("t", "k", 1);
        await env.clock.sleep(10);
        await tx.put("t", "j", 1);
      });
      await c.world.sleep(5);
      c.db.cut("a");
      const whileCut = await txOn(c.nodes.a, (tx) => tx.get("t", "k"));
      const other = await txOn(c.nodes.b, (tx) => tx.put("t", "k", "b"));
      c.db.heal("a");
      return { open: await open, whileCut, other, healed: await txOn(c.nodes.a, (tx) => tx.get("t", "k")) };
    });
    expect(seen).toEqual({ open: "ConnectionLost", whileCut: "ConnectionLost", other: undefined, healed: "b" });
  });

  it("a restart rolls back open transactions and keeps committed rows; it is unreachable while down", async () => {
    const c = clients();
    const seen = await c.run(async () => {
      await txOn(c.nodes.a, (tx) => tx.put("t", "kept", 1));
      const open = txOn(c.nodes.a, async (tx, env) => {
        await tx.put("t", "lost", 1);
        await env.clock.sleep(10);
        await tx.get("t", "lost");
      });
      // A commit on a connection that broke cannot tell whether the server got it.
      const committing = txOn(c.nodes.b, async (tx, env) => {
        await tx.put("t", "lost too", 1);
        await env.clock.sleep(10);
      });
      await c.world.sleep(5);
      c.db.restart(100);
      const whileDown = await txOn(c.nodes.b, (tx) => tx.scan("t"));
      await c.world.sleep(100);
      return {
        open: await open,
        committing: await committing,
        whileDown,
        after: await txOn(c.nodes.b, (tx) => tx.scan("t")),
      };
    });
    expect(seen).toEqual({
      open: "ConnectionLost",
      committing: "CommitOutcomeUnknown",
      whileDown: "ConnectionLost",
      after: [{ key: "kept", row: 1 }],
    });
  });

  it("a restart during a commit's flush: the caller cannot know, and the commit was kept or lost (a seeded draw)", async () => {
    const kept: boolean[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const c = clients(seed, { ...exact, commitMs: 10 });
      const seen = await c.run(async () => {
        const startMs = c.world.nowMs;
        // COMMIT arrives at +5 and would be durable at +15.
        c.world.at(startMs + 8, "restart", () => c.db.restart(20));
        return txOn(c.nodes.a, (tx) => tx.put("t", "k", seed));
      });
      expect(seen).toBe("CommitOutcomeUnknown");
      const committed = c.db.history().length === 1;
      expect(c.db.rows("t")).toEqual(committed ? [{ key: "k", row: seed }] : []);
      kept.push(committed);
    }
    expect(kept).toContain(true);
    expect(kept).toContain(false);
  });

  it("the same seed gives the same history and trace; latencies are drawn from the seed", async () => {
    const seen = await expectSeedDecides(
      (seed) => clients(seed, {}),
      ["m1", "m2", "m1", "m3"],
      (node, m, i) => txOn(node, checkThenWrite("insert", m, `${m}-${i}`)),
      (c) => ({ transactions: c.db.transactions, rows: c.db.rows("effects") }),
    );
    expect(seen.rows).toHaveLength(3);
  });

  it("UniqueViolation is the class lab code catches", () => {
    expect(new UniqueViolation("t", "k")).toMatchObject({ code: "unique-violation", definitelyNotCommitted: true });
  });
});
