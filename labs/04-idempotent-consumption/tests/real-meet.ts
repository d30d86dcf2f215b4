/**
 * Making L4.C's race certain on a real database rather than likely: two transactions meet after
 * their first statement. Each waits (at most `ms`) until the other's first statement has returned.
 * A claim whose first statement is a read lets both pass, so both read "absent"; one whose first
 * statement takes the key makes the second wait for the first to end, so the meeting times out and
 * the first goes on.
 */
import type { Transaction } from "#harness/db.ts";

/** A meeting point for two: each arrival waits for the other, or for `ms`, whichever comes first. */
export function rendezvous(ms: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => undefined;
  const bothHere = new Promise<void>((resolve) => {
    release = resolve;
  });
  return async () => {
    arrived += 1;
    if (arrived === 2) release();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([bothHere, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  };
}

/** `tx` whose first statement, once returned, waits at `meet`. */
export function meetingAfterFirstStatement(tx: Transaction, meet: () => Promise<void>): Transaction {
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
