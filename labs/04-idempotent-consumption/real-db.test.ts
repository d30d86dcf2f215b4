/**
 * L4.C's race on a real database: two consumers handle the same delivery at once, each on its own
 * connection, with the reference handler and a claim under test. On PostgreSQL (the server at
 * LAB_TEST_DATABASE_URL, by default this machine's own; skipped with one line where nothing
 * answers) a check-then-insert claim applies the effect twice, as it does in the simulation, and
 * the reference's `insertIfAbsent` once. On PGlite the race cannot happen: it runs one transaction
 * at a time, so the second claim starts only after the first committed (the guide says so).
 *
 * To make the interleaving certain rather than likely, the two transactions meet after their first
 * statement: each waits (at most RENDEZVOUS_MS) until the other's first statement has returned. A
 * claim whose first statement is a read lets both pass; one whose first statement takes the key
 * makes the second wait for the first to end, so the rendezvous times out and the first goes on.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Transaction } from "#harness/db.ts";
import { openPostgres, type RealDatabase } from "#harness/real/db.ts";
import { createRealEnv } from "#harness/real/env.ts";
import { checkServer, openFallbackPglite, SERVER_URL } from "#harness/real/test-server.ts";
import { claim as checkThenInsert } from "./bugs/check-then-insert/inbox.ts";
import { applyOrderEvent, type Claim, type Delivery, type HandlerContext, TABLES } from "./provided.ts";
import { handle } from "./solution/handler.ts";
import { claim as reference } from "./solution/inbox.ts";
import { standInKey } from "./tests/stand-ins.ts";

type ClaimFn = (tx: Transaction, key: string) => Promise<Claim>;

const RENDEZVOUS_MS = 300;
const DELIVERY: Delivery = {
  messageId: "m-1",
  queueId: 0,
  queueOffset: 0,
  key: "o1",
  event: { orderId: "o1", step: 1, kind: "charge", customer: "alice", amountCents: 2500, sentAtMs: 0 },
  reconsumeTimes: 0,
};

/** A meeting point for two: each arrival waits for the other, or for `ms`, whichever comes first. */
function rendezvous(ms: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => undefined;
  const bothHere = new Promise<void>((resolve) => {
    release = resolve;
  });
  return async () => {
    arrived += 1;
    if (arrived === 2) release();
    await Promise.race([bothHere, new Promise<void>((resolve) => setTimeout(resolve, ms))]);
  };
}

/** `tx` whose first statement, once returned, waits at `meet`. */
function meetingAfterFirstStatement(tx: Transaction, meet: () => Promise<void>): Transaction {
  let first = true;
  const after = async <T>(result: Promise<T>): Promise<T> => {
    const value = await result;
    if (first) {
      first = false;
      await meet();
    }
    return value;
  };
  return {
    get: (table, key) => after(tx.get(table, key)),
    getForUpdate: (table, key) => after(tx.getForUpdate(table, key)),
    insert: (table, key, row) => after(tx.insert(table, key, row)),
    insertIfAbsent: (table, key, row) => after(tx.insertIfAbsent(table, key, row)),
    put: (table, key, row) => after(tx.put(table, key, row)),
    delete: (table, key) => after(tx.delete(table, key)),
    scan: (table, options) => after(tx.scan(table, options)),
  };
}

/** Two consumers handle DELIVERY at once with the reference handler and `claim`: how many ledger rows. */
async function twinHandling(db: RealDatabase, claim: ClaimFn, dataDir: string): Promise<number> {
  await db.reset();
  await db.connect("setup").transaction((tx) => tx.put(TABLES.balances, "alice", { cents: 0 }));
  const meet = rendezvous(RENDEZVOUS_MS);
  const context = (id: string): HandlerContext => {
    const conn: Database = db.connect(id);
    return {
      env: createRealEnv({ nodeId: id, dataDir }),
      db: conn,
      consumerId: id,
      businessKey: standInKey,
      claim: (tx, key) => claim(meetingAfterFirstStatement(tx, meet), key),
      apply: (tx, delivery) =>
        applyOrderEvent(tx, delivery.event, {
          applicationId: `${id}/1`,
          consumerId: id,
          messageId: delivery.messageId,
        }),
    };
  };
  const answers = await Promise.all([handle(context("c1"), DELIVERY), handle(context("c2"), DELIVERY)]);
  expect(answers).toEqual(["done", "done"]);
  return (await db.rows(TABLES.ledger)).length;
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), "lab04-real-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const serverProblem = await checkServer("lab 04's race on the PostgreSQL server");

describe.skipIf(serverProblem !== null)("lab 04's L4.C race, on PostgreSQL with two connections", () => {
  let db: RealDatabase;
  beforeAll(async () => {
    db = await openPostgres({
      connectionString: SERVER_URL,
      kind: "server",
      origin: "LAB_TEST_DATABASE_URL",
      schema: `lab_race04_${process.pid}`,
      dropSchemaOnClose: true,
    });
  });
  afterAll(async () => db?.close());

  it("check-then-insert: both read 'absent', both write, and the charge is applied twice", async () => {
    expect(await twinHandling(db, checkThenInsert, dataDir)).toBe(2);
  });

  it("the reference's insertIfAbsent: the second claim waits for the first, then says 'seen'", async () => {
    expect(await twinHandling(db, reference, dataDir)).toBe(1);
  });
});

describe("lab 04's L4.C race, on PGlite", () => {
  let db: RealDatabase;
  beforeAll(async () => {
    db = await openFallbackPglite();
  }, 180_000);
  afterAll(async () => db?.close());

  it("cannot show it: one transaction at a time, so even check-then-insert applies the charge once", async () => {
    expect(db.concurrent).toBe(false);
    expect(await twinHandling(db, checkThenInsert, dataDir)).toBe(1);
  });
});
