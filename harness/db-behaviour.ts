/**
 * The business database's behaviour one transaction at a time, as a vitest suite that runs on
 * every implementation (the simulated model, PGlite, a PostgreSQL server): whatever a lab's code
 * sees without concurrency must be the same on all of them. Concurrency has its own tests next
 * to each implementation, because PGlite cannot show it.
 */
import { describe, expect, it } from "vitest";
import { type Database, type JsonValue, type Transaction, TransactionAborted, UniqueViolation } from "./db.ts";
import { outcome } from "./outcome.ts";

/** Runs `body` with a database whose tables are empty. */
export type WithEmptyDatabase = <T>(body: (db: Database) => Promise<T>) => Promise<T>;

export function describeDatabaseBehaviour(name: string, withDb: WithEmptyDatabase): void {
  const inTx = <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => withDb((db) => db.transaction(work));

  describe(`${name}: one transaction at a time`, () => {
    it("a transaction sees its own writes; others see them once it commits; a rollback leaves nothing", async () => {
      const seen = await withDb(async (db) => {
        const own = await db.transaction(async (tx) => {
          await tx.put("t", "a", { n: 1 });
          return tx.get("t", "a");
        });
        const failed = await outcome(
          db.transaction(async (tx) => {
            await tx.put("t", "b", 2);
            await tx.delete("t", "a");
            throw new Error("changed my mind");
          }),
        );
        const after = await db.transaction(async (tx) => [await tx.get("t", "a"), await tx.get("t", "b")]);
        return { own, failed, after };
      });
      expect(seen).toEqual({ own: { n: 1 }, failed: "Error", after: [{ n: 1 }, undefined] });
    });

    it("insert refuses a taken key with UniqueViolation and dooms its transaction; insertIfAbsent only reports it", async () => {
      const seen = await withDb(async (db) => {
        await db.transaction((tx) => tx.insert("dedup", "m1", true));
        let violation: unknown;
        const doomed = await outcome(
          db.transaction(async (tx) => {
            await tx.put("effects", "e1", 1);
            try {
              await tx.insert("dedup", "m1", true);
            } catch (error) {
              violation = error;
            }
            return outcome(tx.get("effects", "e1"));
          }),
        );
        const ifAbsent = await db.transaction(async (tx) => {
          const first = await tx.insertIfAbsent("dedup", "m1", false);
          const second = await tx.insertIfAbsent("dedup", "m2", true);
          await tx.put("effects", "e2", 2);
          return [first, second];
        });
        const rows = await db.transaction(async (tx) => ({
          dedup: await tx.scan("dedup"),
          effects: await tx.scan("effects"),
        }));
        return { violation, doomed, ifAbsent, rows };
      });
      expect(seen.violation).toBeInstanceOf(UniqueViolation);
      expect(seen.violation).toMatchObject({ code: "unique-violation", table: "dedup", key: "m1" });
      // The statement after the violation failed, and the work that swallowed it did not commit.
      expect(seen.doomed).toBe("TransactionAborted");
      expect(seen.ifAbsent).toEqual([false, true]);
      expect(seen.rows).toEqual({
        dedup: [
          { key: "m1", row: true },
          { key: "m2", row: true },
        ],
        effects: [{ key: "e2", row: 2 }],
      });
    });

    it("a work function that catches a failure and returns still commits nothing (TransactionAborted)", async () => {
      const seen = await withDb(async (db) => {
        await db.transaction((tx) => tx.insert("t", "k", 1));
        const result = await db
          .transaction(async (tx) => {
            await tx.put("t", "other", 1);
            await tx.insert("t", "k", 2).catch(() => undefined);
            return "returned normally";
          })
          .catch((error: unknown) => error);
        return { result, other: await db.transaction((tx) => tx.get("t", "other")) };
      });
      expect(seen.result).toBeInstanceOf(TransactionAborted);
      expect(seen.other).toBeUndefined();
    });

    it("insert after this transaction's own delete succeeds; delete says whether there was a row", async () => {
      const seen = await withDb(async (db) => {
        await db.transaction((tx) => tx.insert("t", "k", "old"));
        return db.transaction(async (tx) => {
          const deleted = [await tx.delete("t", "k"), await tx.delete("t", "k"), await tx.delete("t", "never")];
          await tx.insert("t", "k", "new");
          return { deleted, now: await tx.get("t", "k") };
        });
      });
      expect(seen).toEqual({ deleted: [true, false, false], now: "new" });
    });

    it("scan returns rows in code point order, with a prefix and a limit, own writes included", async () => {
      const keys = ["b", "a", "ab", "B", "é", "a%", "a_", "😀", "\uffff", "a1"];
      const seen = await withDb(async (db) => {
        await db.transaction(async (tx) => {
          for (const key of keys) await tx.put("t", key, key);
          await tx.put("other", "a", 0);
        });
        return db.transaction(async (tx) => {
          await tx.delete("t", "b");
          await tx.put("t", "a2", "a2");
          const all = (await tx.scan("t")).map((r) => r.key);
          const prefixed = (await tx.scan("t", { prefix: "a" })).map((r) => r.key);
          const literal = (await tx.scan("t", { prefix: "a%" })).map((r) => r.key);
          const limited = (await tx.scan("t", { prefix: "a", limit: 2 })).map((r) => r.key);
          return { all, prefixed, literal, limited, none: await tx.scan("empty") };
        });
      });
      expect(seen.all).toEqual(["B", "a", "a%", "a1", "a2", "a_", "ab", "é", "\uffff", "😀"]);
      expect(seen.prefixed).toEqual(["a", "a%", "a1", "a2", "a_", "ab"]);
      expect(seen.literal).toEqual(["a%"]);
      expect(seen.limited).toEqual(["a", "a%"]);
      expect(seen.none).toEqual([]);
    });

    it("rows come back as jsonb keeps them: keys reordered, -0 as 0, copies not shared", async () => {
      const row: JsonValue = { zz: [1, -0, 2.5, "x", null, true], a: { c: 1, bb: 2 }, "": "empty", 日本: "ja" };
      const seen = await inTx(async (tx) => {
        await tx.put("t", "k", row);
        const first = await tx.get<{ zz: JsonValue[] }>("t", "k");
        first?.zz.push("mutated");
        return tx.get("t", "k");
      });
      expect(seen).toEqual({ zz: [1, 0, 2.5, "x", null, true], a: { c: 1, bb: 2 }, "": "empty", 日本: "ja" });
      expect(Object.keys(seen as object)).toEqual(["", "a", "zz", "日本"]);
      expect(Object.keys((seen as { a: object }).a)).toEqual(["c", "bb"]);
    });

    it("a row may be JSON null, which is not the same as no row", async () => {
      const seen = await withDb(async (db) => {
        await db.transaction((tx) => tx.insert("t", "k", null));
        const read = await db.transaction(async (tx) => ({
          k: await tx.get("t", "k"),
          absent: await tx.get("t", "absent"),
        }));
        return { ...read, again: await outcome(db.transaction((tx) => tx.insert("t", "k", 1))) };
      });
      expect(seen).toEqual({ k: null, absent: undefined, again: "UniqueViolation" });
    });

    it("a value JSON cannot store is a TypeError, and the transaction goes on", async () => {
      const seen = await inTx(async (tx) => {
        const errors = [];
        for (const bad of [{ a: undefined }, [Number.NaN], new Date(0), "nul\u0000", "\ud800"]) {
          errors.push(await outcome(tx.put("t", "k", bad as unknown as JsonValue)));
        }
        errors.push(await outcome(tx.get("t", "nul\u0000")));
        await tx.put("t", "k", "fine");
        return { errors, k: await tx.get("t", "k") };
      });
      expect(seen).toEqual({ errors: Array(6).fill("TypeError"), k: "fine" });
    });

    it("getForUpdate reads like get; statements after the transaction ended throw", async () => {
      const seen = await withDb(async (db) => {
        await db.transaction((tx) => tx.put("t", "k", 1));
        let kept: Transaction | undefined;
        const read = await db.transaction(async (tx) => {
          kept = tx;
          return [await tx.getForUpdate("t", "k"), await tx.getForUpdate("t", "absent")];
        });
        const late = await outcome((kept as Transaction).get("t", "k"));
        return { read, late };
      });
      expect(seen).toEqual({ read: [1, undefined], late: "Error" });
    });
  });
}
