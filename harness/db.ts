/**
 * The business database: what a lab's producer or consumer keeps its own state in.
 *
 * Lab code talks to it through this one interface, and the same code runs against two
 * implementations:
 * - `harness/sim/db.ts`: a model inside the simulated world, with simulated latency, so that
 *   concurrent transactions really interleave, and faults a fault plan can aim;
 * - `harness/real/db.ts`: real PostgreSQL (a server from `DATABASE_URL`, one started by
 *   testcontainers, or PGlite embedded in the process).
 *
 * Every export of this module reaches lab code through `#lab` (lab-api.ts re-exports it whole): keep
 * harness-only helpers out of it (db-session.ts, sim/, real/).
 *
 * Data is rows in named tables. A row is any JSON value, addressed by a string key unique within
 * its table. There is no SQL: the operations below are the statements a transactional consumer
 * or producer needs, each with the exact meaning the same statement has in PostgreSQL (the real
 * implementation runs that statement; docs/business-database.md shows it next to each method).
 *
 * ## Isolation: READ COMMITTED, PostgreSQL's default
 * - Each statement sees the rows committed before it began, plus this transaction's own writes.
 *   Two statements of one transaction may therefore see different committed data: a row another
 *   transaction commits in between appears.
 * - A plain read (`get`, `scan`) never waits and never blocks anyone.
 * - A write (`insert`, `insertIfAbsent`, `put`, `delete`) and `getForUpdate` lock the row until this
 *   transaction ends. A statement that needs a row another open transaction has written or locked
 *   waits until that transaction ends, then looks again at the newest committed row. Nothing
 *   else is locked: in particular, reading that a row is absent reserves nothing. Two
 *   transactions that both read "absent" and then `put` the same key both succeed, one after the
 *   other: check-then-put is a race, and it is meant to be one. `insert` closes it (the key is a
 *   unique constraint).
 * - Two transactions that wait for each other (a deadlock) are detected: one of them fails with
 *   `TransactionConflict`.
 *
 * ## Atomicity and durability
 * - A transaction's writes become visible to others all at once, when its commit succeeds, and
 *   from then on they survive every fault: the database runs on its own machine, and a commit is
 *   acknowledged only once it is durable there.
 * - A transaction that does not commit leaves no trace. When the process that opened it crashes,
 *   the database rolls it back and releases its locks. A statement already on its way when the
 *   process crashed still reaches the database: a commit sent just before a crash can take effect
 *   although its sender never hears of it.
 *
 * ## Errors: which outcome each one means
 * - `UniqueViolation`: `insert` found the key taken. Like any failed statement in PostgreSQL it
 *   dooms the transaction: later statements throw `TransactionAborted`, and it cannot commit.
 * - `TransactionConflict`: the database aborted the transaction (a deadlock, or a serialization
 *   failure the fault plan injected into a commit). It definitely did not commit; retrying it is
 *   safe.
 * - `ConnectionLost`: the database could not be reached, or the connection broke, before a commit
 *   was sent. The transaction definitely did not commit.
 * - `CommitOutcomeUnknown`: the commit was sent, and its reply never came (the connection broke,
 *   or the database restarted). The transaction may or may not have committed: only reading the
 *   database later tells which. Treating this as a failure is a bug the grader finds.
 * - `TransactionAborted`: a statement was made after an earlier one in the same transaction had
 *   failed (PostgreSQL's "current transaction is aborted"), or the work function caught that
 *   failure and returned normally. Nothing was committed.
 * - A `TypeError` for a value that is not JSON (`undefined`, `NaN`, a `Date`, a `Map`, a string
 *   with a NUL character or a lone surrogate): the database could not store it.
 */
import { ServiceError } from "./service-error.ts";

/** A JSON value, as a `jsonb` column stores it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One row of a scan: its key and its value. */
export interface ScannedRow<TRow extends JsonValue = JsonValue> {
  key: string;
  row: TRow;
}

/** Which rows `scan` returns. */
export interface ScanOptions {
  /** Only keys that start with this string. */
  prefix?: string;
  /** At most this many rows (the first ones in key order). */
  limit?: number;
}

/**
 * The statements of one transaction. Each returns a promise; statements run one at a time, in the
 * order they were called, as on one PostgreSQL connection. Rows come back as copies: changing one
 * changes nothing stored. Stored rows are as `jsonb` keeps them: object keys reordered (shorter
 * first), `-0` read back as `0`.
 *
 * Table names and keys are any strings without a NUL character; a table need not be created.
 */
export interface Transaction {
  /**
   * The row at `key`, or `undefined`: the newest committed row, or this transaction's own write.
   * Never waits, locks nothing (`SELECT row ... WHERE tbl = $1 AND key = $2`).
   */
  get<TRow extends JsonValue = JsonValue>(table: string, key: string): Promise<TRow | undefined>;

  /**
   * Like `get`, and locks the row until this transaction ends, so that no other transaction can
   * change or lock it meanwhile (`SELECT ... FOR UPDATE`). If another open transaction has written
   * or locked the row, waits for it to end, then returns the newest committed row. A key with no
   * row locks nothing: a lock cannot reserve an absent key (use `insert` for that).
   */
  getForUpdate<TRow extends JsonValue = JsonValue>(table: string, key: string): Promise<TRow | undefined>;

  /**
   * Creates the row at `key`; the key is a unique constraint (`INSERT`). Throws `UniqueViolation`
   * if a committed row or this transaction's own write holds the key. If another open transaction
   * has written that key, waits for it to end: if it committed a row there, throws
   * `UniqueViolation`; if it rolled back, inserts. So of two transactions inserting one key, exactly
   * one can commit it.
   */
  insert(table: string, key: string, row: JsonValue): Promise<void>;

  /**
   * `insert` that reports a taken key instead of failing: true if it inserted, false if the key was
   * taken (`INSERT ... ON CONFLICT DO NOTHING`). Waits like `insert`. A false answer does not doom
   * the transaction, so the usual dedup step is `if (!(await tx.insertIfAbsent(...))) return`.
   */
  insertIfAbsent(table: string, key: string, row: JsonValue): Promise<boolean>;

  /**
   * Creates or replaces the row at `key` (`INSERT ... ON CONFLICT DO UPDATE`: an upsert). Never
   * fails for a taken key; waits while another open transaction has written or locked the row,
   * then overwrites whatever that one committed. It does not check anything: reading "absent"
   * first and then `put` is not a reservation, and two transactions doing so both write.
   */
  put(table: string, key: string, row: JsonValue): Promise<void>;

  /**
   * Deletes the row at `key`; true if there was one (`DELETE ... WHERE tbl = $1 AND key = $2`).
   * Waits while another open transaction has written or locked a committed row there; a row
   * another open transaction has only inserted is not visible, so there is nothing to delete.
   */
  delete(table: string, key: string): Promise<boolean>;

  /**
   * The rows of `table` in key order (`ORDER BY key COLLATE "C"`: by Unicode code point), as `get`
   * sees them: committed before this statement began, plus this transaction's own writes. Never
   * waits, locks nothing.
   */
  scan<TRow extends JsonValue = JsonValue>(table: string, options?: ScanOptions): Promise<ScannedRow<TRow>[]>;
}

/** A connection to the business database, for one process (one node incarnation). */
export interface Database {
  /**
   * Runs `work` in a new transaction and commits it when `work` returns; returns what `work`
   * returned. If `work` throws, the transaction is rolled back and the error rethrown. Each call
   * is a transaction of its own on its own connection, so concurrent calls are concurrent
   * transactions (except on PGlite, which runs one transaction at a time).
   *
   * `work` may run only statements of its `tx`: statements made after `work` returned, or with a
   * `tx` of another call, throw. Keep no other waits inside `work` (a network request, a sleep):
   * the transaction holds its locks meanwhile, as a real one would.
   *
   * Errors: those listed in this module's header. Anything else `work` throws is passed through.
   */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
}

/** Why an operation on the business database failed: the error's `code`. */
export type DatabaseErrorCode =
  | "unique-violation"
  | "transaction-conflict"
  | "transaction-aborted"
  | "connection-lost"
  | "commit-outcome-unknown";

/** Any failure the business database reports (a `TypeError` for a non-JSON value is not one). */
export class DatabaseError extends ServiceError<DatabaseErrorCode> {
  override name = "DatabaseError";

  /** True if the transaction definitely did not commit: only `CommitOutcomeUnknown` says otherwise. */
  get definitelyNotCommitted(): boolean {
    return this.code !== "commit-outcome-unknown";
  }
}

/** `insert` found its key taken (SQLSTATE 23505). The transaction can no longer commit. */
export class UniqueViolation extends DatabaseError {
  constructor(
    readonly table: string,
    readonly key: string,
  ) {
    super("unique-violation", `duplicate key: ${table}/${key} already exists`);
    this.name = "UniqueViolation";
  }
}

/** The database aborted the transaction: a deadlock (40P01) or a serialization failure (40001). */
export class TransactionConflict extends DatabaseError {
  constructor(readonly reason: "deadlock" | "serialization failure") {
    super("transaction-conflict", `transaction aborted by the database: ${reason}; it did not commit, retry it`);
    this.name = "TransactionConflict";
  }
}

/** A statement after a failed one (25P02), or a transaction whose work swallowed a failure. */
export class TransactionAborted extends DatabaseError {
  constructor(readonly failure: unknown) {
    super(
      "transaction-aborted",
      `the transaction had already failed (${failure instanceof Error ? failure.message : String(failure)}); ` +
        "nothing was committed",
    );
    this.name = "TransactionAborted";
  }
}

/** The database was unreachable or the connection broke before a commit was sent: not committed. */
export class ConnectionLost extends DatabaseError {
  constructor(detail: string) {
    super("connection-lost", `connection to the database lost: ${detail}; the transaction did not commit`);
    this.name = "ConnectionLost";
  }
}

/** The commit was sent and its reply was lost: it may or may not have committed. */
export class CommitOutcomeUnknown extends DatabaseError {
  constructor(detail: string) {
    super(
      "commit-outcome-unknown",
      `commit sent, reply lost (${detail}): the transaction may or may not have committed`,
    );
    this.name = "CommitOutcomeUnknown";
  }
}
