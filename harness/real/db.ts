/**
 * The real business database: the `Database` interface (harness/db.ts) over real PostgreSQL,
 * reached through node-postgres (a server: from a URL, or one testcontainers started; this file)
 * or run inside this process by PGlite (`db-pglite.ts`, on this file's SQL). `db-choose.ts` picks
 * one.
 *
 * Every table lives in one PostgreSQL table, `lab_rows(tbl, key, row jsonb)` with the primary
 * key `(tbl, key)`, so lab code needs no schema and each method is one SQL statement (below, next
 * to the method). A committed transaction that wrote also adds a row to `lab_commits` in the same
 * transaction: the history a checker reads, as the model's `history()` gives it.
 *
 * node-postgres: each transaction checks one client out of a pool and runs every statement on it,
 * BEGIN to COMMIT: a statement on another client (`pool.query`) would run outside the transaction.
 * Concurrent transactions use separate connections, so races and lock waits are PostgreSQL's own.
 */
import pg from "pg";
import {
  CommitOutcomeUnknown,
  ConnectionLost,
  type Database,
  type JsonValue,
  type ScannedRow,
  type Transaction,
  TransactionAborted,
  TransactionConflict,
  UniqueViolation,
} from "../db.ts";
import { type RowWrite, runTransaction, type TransactionDriver } from "../db-session.ts";

/** Where the database came from. */
export type RealDatabaseKind = "server" | "container" | "pglite";

/** A committed transaction, as `lab_commits` recorded it. */
export interface CommitRecord {
  client: string;
  writes: RowWrite[];
}

/** One real database, opened once and reset between scenarios. */
export interface RealDatabase {
  readonly kind: RealDatabaseKind;
  /** One line: which database this is ("PostgreSQL 15.20 at 127.0.0.1:5432/test, from DATABASE_URL"). */
  readonly description: string;
  /** True if concurrent transactions really run concurrently (false on PGlite). */
  readonly concurrent: boolean;
  /** A connection for one process, named `client` in the history. */
  connect(client: string): RealConnection;
  /** Empties every table and the history (between scenarios). Call it with no transaction open. */
  reset(): Promise<void>;
  /** The committed rows of `table`, in key order. */
  rows<TRow extends JsonValue = JsonValue>(table: string): Promise<ScannedRow<TRow>[]>;
  /** The committed transactions that wrote something, in the order they were recorded. */
  history(): Promise<CommitRecord[]>;
  /** Closes every connection (and stops the container, or drops a schema it was asked to). */
  close(): Promise<void>;
}

/** The `Database` of one process, which can be killed. */
export interface RealConnection extends Database {
  /**
   * Kills the process, as far as the database can tell: its connections close at once, so the
   * server rolls back its open transactions; its pending and later calls never settle.
   */
  kill(): void;
}

/** Runs one statement: the part of node-postgres' and PGlite's APIs this file uses. */
export type Run = (sql: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

export const SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS lab_rows (
     tbl text NOT NULL, key text NOT NULL, row jsonb NOT NULL, PRIMARY KEY (tbl, key))`,
  `CREATE TABLE IF NOT EXISTS lab_commits (
     seq bigserial PRIMARY KEY, client text NOT NULL, writes jsonb NOT NULL)`,
];

/** The statements of `Transaction`, over one connection that has a transaction open. */
export class SqlDriver implements TransactionDriver {
  constructor(
    private readonly run: Run,
    private readonly client: string,
    private readonly finish: { commit(): Promise<void>; rollback(): Promise<void> },
  ) {}

  async get(table: string, key: string, forUpdate: boolean): Promise<JsonValue | undefined> {
    const sql = `SELECT row FROM lab_rows WHERE tbl = $1 AND key = $2${forUpdate ? " FOR UPDATE" : ""}`;
    const { rows } = await this.statement(sql, [table, key], table, key);
    return rows[0]?.row as JsonValue | undefined;
  }

  async insert(table: string, key: string, row: JsonValue, ifAbsent: boolean): Promise<boolean> {
    const sql = `INSERT INTO lab_rows (tbl, key, row) VALUES ($1, $2, $3::jsonb)${
      ifAbsent ? " ON CONFLICT (tbl, key) DO NOTHING" : ""
    } RETURNING 1 AS inserted`;
    const { rows } = await this.statement(sql, [table, key, JSON.stringify(row)], table, key);
    return rows.length === 1;
  }

  async put(table: string, key: string, row: JsonValue): Promise<void> {
    const sql = `INSERT INTO lab_rows (tbl, key, row) VALUES ($1, $2, $3::jsonb)
                 ON CONFLICT (tbl, key) DO UPDATE SET row = excluded.row`;
    await this.statement(sql, [table, key, JSON.stringify(row)], table, key);
  }

  async delete(table: string, key: string): Promise<boolean> {
    const sql = "DELETE FROM lab_rows WHERE tbl = $1 AND key = $2 RETURNING 1 AS deleted";
    const { rows } = await this.statement(sql, [table, key], table, key);
    return rows.length === 1;
  }

  async scan(table: string, prefix: string | undefined, limit: number | undefined): Promise<ScannedRow[]> {
    const { rows } = await this.statement(
      `SELECT key, row FROM lab_rows WHERE tbl = $1 AND ($2::text IS NULL OR starts_with(key, $2))
       ORDER BY key COLLATE "C" LIMIT $3`,
      [table, prefix ?? null, limit ?? null],
      table,
      "",
    );
    return rows.map((r) => ({ key: r.key as string, row: r.row as JsonValue }));
  }

  async commit(writes: readonly RowWrite[]): Promise<void> {
    if (writes.length > 0) {
      await this.statement(
        "INSERT INTO lab_commits (client, writes) VALUES ($1, $2::jsonb)",
        [this.client, JSON.stringify(writes)],
        "lab_commits",
        "",
      );
    }
    try {
      await this.finish.commit();
    } catch (error) {
      throw databaseError(error, "lab_commits", "", true);
    }
  }

  rollback(): Promise<void> {
    return this.finish.rollback().catch(() => undefined);
  }

  private async statement(
    sql: string,
    params: unknown[],
    table: string,
    key: string,
  ): Promise<{ rows: Record<string, unknown>[] }> {
    try {
      return await this.run(sql, params);
    } catch (error) {
      throw databaseError(error, table, key, false);
    }
  }
}

/** The error lab code sees for what node-postgres or PGlite threw (unknown ones pass through). */
export function databaseError(error: unknown, table: string, key: string, duringCommit: boolean): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "23505") return new UniqueViolation(table, key);
  if (code === "40001") return new TransactionConflict("serialization failure");
  if (code === "40P01") return new TransactionConflict("deadlock");
  if (code === "25P02") return new TransactionAborted(error);
  if (isConnectionFailure(error)) {
    const detail = error instanceof Error ? error.message : String(error);
    return duringCommit ? new CommitOutcomeUnknown(detail) : new ConnectionLost(detail);
  }
  return error;
}

/** A broken or refused connection, or a server going away (SQLSTATE class 08, 57P01-57P03). */
function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03") return true;
    if (["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH"].includes(code)) return true;
  }
  const message = error instanceof Error ? error.message : "";
  return /Connection terminated|not queryable|timeout exceeded when trying to connect|Client was closed/i.test(message);
}

/** Makes a connection's promises hang once it is killed: a dead process hears nothing. */
export class Lifeline {
  dead = false;
  private readonly onKill: Array<() => void> = [];

  guard<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      promise.then(
        (value) => {
          if (!this.dead) resolve(value);
        },
        (error: unknown) => {
          if (!this.dead) reject(error);
        },
      );
    });
  }

  /**
   * Calls `fn` on kill until `release` is called; at once if the process is dead already: a
   * transaction begun before the kill may get its connection (or its turn, on PGlite) after it,
   * and must then send nothing.
   */
  whileOpen(fn: () => void): { release(): void } {
    if (this.dead) {
      fn();
      return { release: () => undefined };
    }
    this.onKill.push(fn);
    return {
      release: () => {
        const at = this.onKill.indexOf(fn);
        if (at >= 0) this.onKill.splice(at, 1);
      },
    };
  }

  kill(): void {
    this.dead = true;
    for (const fn of this.onKill.splice(0)) fn();
  }
}

export async function runAll(run: Run, statements: readonly string[]): Promise<void> {
  for (const sql of statements) await run(sql, []);
}

/** What a checker reads, and the reset between scenarios: outside any transaction. */
export function inspect(run: Run): Pick<RealDatabase, "reset" | "rows" | "history"> {
  return {
    reset: () => runAll(run, ["TRUNCATE lab_rows, lab_commits RESTART IDENTITY"]),
    rows: async <TRow extends JsonValue>(table: string) => {
      const { rows } = await run('SELECT key, row FROM lab_rows WHERE tbl = $1 ORDER BY key COLLATE "C"', [table]);
      return rows.map((r) => ({ key: r.key as string, row: r.row as TRow }));
    },
    history: async () => {
      const { rows } = await run("SELECT client, writes FROM lab_commits ORDER BY seq", []);
      return rows.map((r) => ({ client: r.client as string, writes: r.writes as RowWrite[] }));
    },
  };
}

/** A connection whose transactions `begin` runs, until it is killed. */
export function killable(
  begin: <T>(life: Lifeline, work: (tx: Transaction) => Promise<T>) => Promise<T>,
): RealConnection {
  const life = new Lifeline();
  return {
    kill: () => life.kill(),
    transaction: <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => {
      if (life.dead) return new Promise(() => {});
      return life.guard(begin(life, work));
    },
  };
}

/** A one-line name of a server: "PostgreSQL 15.20". */
export function shortVersion(version: string): string {
  return /^(PostgreSQL \S+)/.exec(version)?.[1] ?? version;
}

// ---- node-postgres --------------------------------------------------------------------------

export interface PostgresOptions {
  connectionString: string;
  kind: "server" | "container";
  /** Where the URL came from, for the description ("DATABASE_URL"). */
  origin: string;
  /** The schema to keep the tables in (created if missing); default "lab". */
  schema?: string;
  /** Drop the schema on close (for tests that make their own). */
  dropSchemaOnClose?: boolean;
  /** Called after the pool closed (stops a container). */
  onClose?: () => Promise<void>;
  /** How long to wait for a connection; default 5 s. */
  connectTimeoutMs?: number;
}

/** Opens a PostgreSQL server through a node-postgres pool, creating the tables if missing. */
export async function openPostgres(options: PostgresOptions): Promise<RealDatabase> {
  const schema = options.schema ?? "lab";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new RangeError(`schema name '${schema}' is not a plain identifier`);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    max: 20,
  });
  // An idle client whose server went away emits 'error' on the pool; unheard, it kills the process.
  pool.on("error", () => undefined);
  const run: Run = (sql, params) => pool.query(sql, params);
  let version: string;
  try {
    await run(`CREATE SCHEMA IF NOT EXISTS ${schema}`, []);
    await runAll(run, SCHEMA_SQL);
    version = shortVersion((await run("SELECT version() AS v", [])).rows[0]?.v as string);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const where = describeUrl(options.connectionString);
  return {
    kind: options.kind,
    description: `${version} at ${where}, schema ${schema} (${options.origin})`,
    concurrent: true,
    connect: (client) => killable((life, work) => pgTransaction(pool, client, life, work)),
    ...inspect(run),
    close: async () => {
      if (options.dropSchemaOnClose) await run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`, []).catch(() => undefined);
      await pool.end();
      await options.onClose?.();
    },
  };
}

/** "127.0.0.1:5432/test", without the user or password. */
export function describeUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "the configured server";
  }
}

async function pgTransaction<T>(
  pool: pg.Pool,
  client: string,
  life: Lifeline,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  let conn: pg.PoolClient;
  try {
    conn = await pool.connect();
  } catch (error) {
    throw databaseError(error, "", "", false);
  }
  // A broken connection must not go back to the pool: `release(error)` closes it instead.
  let broken: Error | undefined;
  // A checked-out client whose connection dies between statements emits 'error': unheard, that
  // would end this process. The next statement fails, and that is how lab code hears of it.
  const onError = (error: Error): void => {
    broken = error;
  };
  conn.on("error", onError);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    conn.removeListener("error", onError);
    conn.release(broken);
  };
  const onKill = life.whileOpen(() => {
    // Closing the connection is what a killed process does: the server rolls the transaction
    // back. Released with an error, the pool closes the client instead of reusing it, and does
    // not wait for the dead process's work, which may never end.
    broken = new Error("the process was killed");
    release();
  });
  const run: Run = async (sql, params) => {
    // A killed process's statements never reach the server (its connection is closing anyway).
    if (life.dead) throw new Error("Connection terminated: the process was killed");
    try {
      return await conn.query(sql, params);
    } catch (error) {
      if (isConnectionFailure(error)) broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  };
  try {
    try {
      await run("BEGIN", []);
    } catch (error) {
      throw databaseError(error, "", "", false);
    }
    const driver = new SqlDriver(run, client, {
      commit: async () => {
        await run("COMMIT", []);
      },
      rollback: async () => {
        if (broken === undefined) await run("ROLLBACK", []);
      },
    });
    return await runTransaction(driver, work);
  } finally {
    onKill.release();
    release();
  }
}
