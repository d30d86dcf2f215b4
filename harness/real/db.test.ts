/**
 * The real business database keeps the same contract as the simulated one: the behaviour suite
 * runs on PGlite (always: it needs nothing but `npm ci`) and on a PostgreSQL server (this
 * machine's, or `LAB_TEST_DATABASE_URL`; skipped with a message when none answers). Races are
 * tested on the server only: PGlite runs one transaction at a time, so a race cannot happen
 * there, and a test below shows exactly that.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Transaction } from "../db.ts";
import { describeDatabaseBehaviour } from "../db-behaviour.ts";
import { outcome } from "../outcome.ts";
import { databaseError, openPostgres, type RealDatabase } from "./db.ts";
import { chooseDatabase, containerRuntimeHint, findContainerRuntime } from "./db-choose.ts";
import { openPglite } from "./db-pglite.ts";
import { checkServer, SERVER_URL } from "./test-server.ts";

// Each test file run gets its own schema, so parallel runs on one server do not meet.
const SCHEMA = `lab_test_${process.pid}`;

const serverProblem = await checkServer("the PostgreSQL server tests");

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves for everyone once `count` parties have arrived. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    if (++arrived === count) open();
    return opened;
  };
}

/** Runs `body` on `db` emptied first, through a connection named "test". */
function emptied(get: () => RealDatabase) {
  return async <T>(body: (db: Database) => Promise<T>): Promise<T> => {
    await get().reset();
    return body(get().connect("test"));
  };
}

describe("PGlite (embedded): the chooser's fallback", () => {
  let db: RealDatabase;
  const said: string[] = [];

  // PGlite takes seconds to open (more on a busy machine): once for the whole file.
  beforeAll(async () => {
    db = await chooseDatabase({
      env: {},
      // The real probe where there is no runtime (so the whole path runs); a stand-in saying
      // "none" where there is one, so that this file never starts a container.
      findRuntime: (env) =>
        containerRuntimeHint(env)
          ? Promise.resolve({ found: false, why: "none in this test" })
          : findContainerRuntime(env),
      say: (line) => said.push(line),
    });
  }, 180_000);
  afterAll(async () => db?.close());

  it("with no DATABASE_URL and no container runtime, it opens PGlite and says so in one line", () => {
    expect(db.kind).toBe("pglite");
    expect(db.concurrent).toBe(false);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^business database: PGlite \S+ \(PostgreSQL \S+, embedded.*no container runtime: /);
  });

  describeDatabaseBehaviour(
    "PGlite",
    emptied(() => db),
  );

  it("a later open loads the initialised data directory the first one saved, and works the same", async () => {
    const again = await openPglite("test");
    try {
      expect(again.description).toContain("from a cached data directory");
      const conn = again.connect("c");
      await conn.transaction((tx) => tx.insert("t", "k", 1));
      expect(await outcome(conn.transaction((tx) => tx.insert("t", "k", 2)))).toBe("UniqueViolation");
      expect(await again.rows("t")).toEqual([{ key: "k", row: 1 }]);
    } finally {
      await again.close();
    }
  }, 120_000);

  it("cannot show a race: concurrent transactions run one after the other, so check-then-put is never caught", async () => {
    await db.reset();
    const a = db.connect("a");
    const b = db.connect("b");
    const checkThenPut = (me: string) => (tx: Transaction) =>
      tx.get("dedup", "m1").then(async (seen) => {
        if (seen !== undefined) return "skipped";
        await sleep(20);
        await tx.put("dedup", "m1", me);
        return "applied";
      });
    const results = await Promise.all([a.transaction(checkThenPut("a")), b.transaction(checkThenPut("b"))]);
    expect(results).toEqual(["applied", "skipped"]);
  });

  it("a killed process's transaction rolls back and frees the one connection", async () => {
    await db.reset();
    const zombie = db.connect("zombie");
    const never = zombie.transaction(async (tx) => {
      await tx.put("t", "k", "zombie");
      await new Promise(() => {});
    });
    await sleep(20);
    zombie.kill();
    const next = await db.connect("next").transaction((tx) => tx.get("t", "k"));
    expect(next).toBeUndefined();
    expect(await Promise.race([never.then(() => "settled"), sleep(20).then(() => "pending")])).toBe("pending");
    expect(await db.history()).toEqual([]);
  });

  it("records the history of committed transactions that wrote", async () => {
    await db.reset();
    await db.connect("p1").transaction(async (tx) => {
      await tx.put("t", "a", 1);
      await tx.delete("t", "a");
    });
    await db.connect("p2").transaction((tx) => tx.get("t", "a"));
    expect(await db.history()).toEqual([
      {
        client: "p1",
        writes: [
          { table: "t", key: "a", row: 1 },
          { table: "t", key: "a", deleted: true },
        ],
      },
    ]);
  });
});

describe("finding a container runtime", () => {
  it("without DOCKER_HOST, a properties file or a Docker socket, says so at once without loading testcontainers", async () => {
    if (containerRuntimeHint({})) {
      console.warn("This machine has a container runtime hint: the no-runtime answer is not tested here.");
      return;
    }
    const started = performance.now();
    expect(await findContainerRuntime({})).toEqual({
      found: false,
      why: "no DOCKER_HOST, no ~/.testcontainers.properties, no Docker socket",
    });
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("with a DOCKER_HOST that answers nothing, testcontainers' own probe says no runtime", async () => {
    const runtime = await findContainerRuntime({ DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(runtime.found).toBe(false);
  }, 30_000);
});

describe.skipIf(serverProblem !== null)(`PostgreSQL server at ${SERVER_URL}`, () => {
  let db: RealDatabase;
  const said: string[] = [];

  beforeAll(async () => {
    db = await chooseDatabase({ env: { DATABASE_URL: SERVER_URL }, schema: SCHEMA, say: (line) => said.push(line) });
  }, 60_000);
  afterAll(async () => {
    if (db === undefined) return;
    await db.close();
    // The chooser's database keeps its schema; this file's is its own to drop.
    const client = new pg.Client({ connectionString: SERVER_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await client.end();
  });

  it("DATABASE_URL comes first, and the line names the server", () => {
    expect(db.kind).toBe("server");
    expect(db.concurrent).toBe(true);
    expect(said).toEqual([expect.stringMatching(/^business database: PostgreSQL \S+ at .* \(DATABASE_URL\)$/)]);
  });

  describeDatabaseBehaviour(
    "PostgreSQL",
    emptied(() => db),
  );

  /** Two connections run "check the mark, then write it and the effect", interleaved. */
  /**
   * Resolves once some statement on lab_rows waits for a row lock (polling the server's own view),
   * so that the tests below never depend on how fast a loaded machine runs.
   */
  async function someoneWaitsForALock(): Promise<void> {
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    try {
      for (let tries = 0; tries < 500; tries++) {
        const { rows } = await admin.query(
          `SELECT 1 FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO lab_rows%' AND datname = current_database()`,
        );
        if (rows.length > 0) return;
        await sleep(10);
      }
      throw new Error("no statement waited for a row lock within 5 s");
    } finally {
      await admin.end();
    }
  }

  async function race(write: "insert" | "put", firstRollsBack = false) {
    await db.reset();
    const bothChecked = barrier(2);
    let aWrote: () => void = () => undefined;
    const whenAWrote = new Promise<void>((resolve) => {
      aWrote = resolve;
    });
    const events: string[] = [];
    const consumer = (me: string, first: boolean) => (tx: Transaction) =>
      (async () => {
        const seen = await tx.get("dedup", "m1");
        await bothChecked();
        if (seen !== undefined) return "skipped";
        if (!first) await whenAWrote;
        try {
          await tx[write]("dedup", "m1", me);
        } finally {
          events.push(`${me}'s ${write} returned`);
        }
        await tx.put("effects", `charge-by-${me}`, 1);
        if (first) {
          aWrote();
          await someoneWaitsForALock(); // b's write, on a's row
          events.push(`${me} ends`);
          if (firstRollsBack) throw new Error("handler failed");
        }
        return "applied";
      })();
    const results = await Promise.all([
      outcome(db.connect("a").transaction(consumer("a", true))),
      outcome(db.connect("b").transaction(consumer("b", false))),
    ]);
    return { results, events, effects: (await db.rows("effects")).map((r) => r.key) };
  }

  it("check-then-insert: both see 'absent'; the second insert waits for the first commit, then fails with UniqueViolation", async () => {
    const seen = await race("insert");
    expect(seen.results).toEqual(["applied", "UniqueViolation"]);
    // b's insert came back only after a's transaction had ended: it waited for the row.
    expect(seen.events).toEqual(["a's insert returned", "a ends", "b's insert returned"]);
    expect(seen.effects).toEqual(["charge-by-a"]);
  });

  it("check-then-insert: when the first rolls back, the waiting insert succeeds", async () => {
    const seen = await race("insert", true);
    expect(seen.results).toEqual(["Error", "applied"]);
    expect(seen.events).toEqual(["a's insert returned", "a ends", "b's insert returned"]);
    expect(seen.effects).toEqual(["charge-by-b"]);
  });

  it("check-then-put: both see 'absent' and both commit: the effect is applied twice", async () => {
    const seen = await race("put");
    expect(seen.results).toEqual(["applied", "applied"]);
    // b's put waited for a's row too, then overwrote it: nothing stopped the second effect.
    expect(seen.events).toEqual(["a's put returned", "a ends", "b's put returned"]);
    expect(seen.effects).toEqual(["charge-by-a", "charge-by-b"]);
  });

  it("read-modify-write: getForUpdate serialises two increments; get loses one", async () => {
    const counterAfter = async (read: "get" | "getForUpdate") => {
      await db.reset();
      await db.connect("setup").transaction((tx) => tx.put("t", "counter", 0));
      // With get, both read before either writes; with getForUpdate the second read waits for the
      // first transaction, whatever the timing, so a barrier there would never open.
      const bothRead = barrier(2);
      const increment = (tx: Transaction) =>
        (async () => {
          const n = (await tx[read]<number>("t", "counter")) ?? 0;
          await (read === "get" ? bothRead() : sleep(50));
          await tx.put("t", "counter", n + 1);
        })();
      await Promise.all([db.connect("a").transaction(increment), db.connect("b").transaction(increment)]);
      return (await db.rows("t"))[0]?.row;
    };
    expect(await counterAfter("get")).toBe(1);
    expect(await counterAfter("getForUpdate")).toBe(2);
  });

  it("a killed process's open transaction rolls back and its row lock is released", async () => {
    await db.reset();
    const zombie = db.connect("zombie");
    void zombie.transaction(async (tx) => {
      await tx.put("t", "k", "zombie");
      await new Promise(() => {});
    });
    await sleep(100);
    const waiting = db.connect("b").transaction((tx) => tx.put("t", "k", "b"));
    await someoneWaitsForALock();
    zombie.kill();
    await waiting;
    expect(await db.rows("t")).toEqual([{ key: "k", row: "b" }]);
  });

  it("a deadlock fails one transaction with TransactionConflict (after PostgreSQL's deadlock_timeout, 1 s)", async () => {
    await db.reset();
    const bothLocked = barrier(2);
    const lockBoth = (first: string, second: string) => (tx: Transaction) =>
      (async () => {
        await tx.put("t", first, 1);
        await bothLocked();
        await tx.put("t", second, 1);
        return "committed";
      })();
    const results = await Promise.all([
      outcome(db.connect("a").transaction(lockBoth("x", "y"))),
      outcome(db.connect("b").transaction(lockBoth("y", "x"))),
    ]);
    expect(results.sort()).toEqual(["TransactionConflict", "committed"]);
  }, 20_000);

  it("a connection the server ends mid-transaction: the next statement is ConnectionLost, nothing commits", async () => {
    await db.reset();
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    try {
      const result = await outcome(
        db.connect("x").transaction(async (tx) => {
          await tx.put("t", "k", 1);
          // The server ends this backend, as a server restart or a network failure would.
          await admin.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE state = 'idle in transaction' AND query LIKE 'INSERT INTO lab_rows%' AND pid <> pg_backend_pid()`,
          );
          await sleep(50);
          await tx.get("t", "k");
          return "went on";
        }),
      );
      expect(result).toBe("ConnectionLost");
    } finally {
      await admin.end();
    }
    expect(await db.rows("t")).toEqual([]);
    // The pool replaced the broken connection.
    expect(await db.connect("y").transaction((tx) => tx.get("t", "k"))).toBeUndefined();
  });

  it("a server that does not answer cannot be opened", async () => {
    await expect(
      openPostgres({ connectionString: "postgres://postgres@127.0.0.1:1/none", kind: "server", origin: "test" }),
    ).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});

describe("errors from node-postgres and PGlite", () => {
  it("map to the interface's errors by SQLSTATE and by connection failure, and say when a commit's outcome is unknown", () => {
    const name = (error: unknown, duringCommit = false) => (databaseError(error, "t", "k", duringCommit) as Error).name;
    expect(name({ code: "23505" })).toBe("UniqueViolation");
    expect(name({ code: "40001" })).toBe("TransactionConflict");
    expect(name({ code: "40P01" })).toBe("TransactionConflict");
    expect(name({ code: "25P02" })).toBe("TransactionAborted");
    expect(name(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe("ConnectionLost");
    expect(name(new Error("Connection terminated unexpectedly"))).toBe("ConnectionLost");
    expect(name(new Error("Connection terminated unexpectedly"), true)).toBe("CommitOutcomeUnknown");
    expect(name(Object.assign(new Error("terminating connection"), { code: "57P01" }), true)).toBe(
      "CommitOutcomeUnknown",
    );
    const other = new Error("syntax error");
    expect(databaseError(other, "t", "k", false)).toBe(other);
  });
});
