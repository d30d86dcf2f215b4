/**
 * What the simulated and the real business database share: the `Transaction` lab code holds, built
 * over a small driver that each implementation provides, and the rules for what a row may be.
 *
 * Keeping these in one place is what makes the two behave alike where the database itself is not
 * involved: statements of one transaction run one at a time in call order (one connection), a
 * failed statement dooms the transaction (PostgreSQL's "current transaction is aborted"), a work
 * function that swallows such a failure still does not commit (PostgreSQL would silently turn its
 * COMMIT into a ROLLBACK), and rows are stored exactly as `jsonb` stores them.
 */
import {
  DatabaseError,
  type JsonValue,
  type ScannedRow,
  type ScanOptions,
  type Transaction,
  TransactionAborted,
} from "./db.ts";

/** One row a transaction wrote: its new value, or that it deleted the row. */
export type RowWrite = { table: string; key: string; row: JsonValue } | { table: string; key: string; deleted: true };

/** The statements of one open transaction, as an implementation runs them. */
export interface TransactionDriver {
  /** `forUpdate`: lock the row (SELECT ... FOR UPDATE). */
  get(table: string, key: string, forUpdate: boolean): Promise<JsonValue | undefined>;
  /** True if inserted; for a taken key, false when `ifAbsent`, else throws `UniqueViolation`. */
  insert(table: string, key: string, row: JsonValue, ifAbsent: boolean): Promise<boolean>;
  put(table: string, key: string, row: JsonValue): Promise<void>;
  delete(table: string, key: string): Promise<boolean>;
  scan(table: string, prefix: string | undefined, limit: number | undefined): Promise<ScannedRow[]>;
  /** Commits; `writes` are what this transaction wrote, in order (for the history). */
  commit(writes: readonly RowWrite[]): Promise<void>;
  /** Rolls back. Never rejects: a broken connection rolls back by itself. */
  rollback(): Promise<void>;
}

/**
 * Runs `work` in the transaction `driver` has open, then commits it or rolls it back, keeping the
 * contract of `Database.transaction` (harness/db.ts).
 */
export async function runTransaction<T>(driver: TransactionDriver, work: (tx: Transaction) => Promise<T>): Promise<T> {
  const session = new Session(driver);
  let result: T;
  try {
    result = await work(session);
  } catch (error) {
    await session.end();
    await driver.rollback();
    throw error;
  }
  await session.end();
  if (session.failure !== undefined) {
    await driver.rollback();
    throw new TransactionAborted(session.failure);
  }
  await driver.commit(session.writes);
  return result;
}

/** The `Transaction` lab code holds: checks, orders and records its statements. */
class Session implements Transaction {
  /** The first statement that failed at the database: the transaction can no longer commit. */
  failure: DatabaseError | undefined;
  readonly writes: RowWrite[] = [];
  private ended = false;
  /** Settles when the last statement called so far has finished. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly driver: TransactionDriver) {}

  get<TRow extends JsonValue = JsonValue>(table: string, key: string): Promise<TRow | undefined> {
    return this.statement("get", [table, key], () => this.driver.get(table, key, false)) as Promise<TRow | undefined>;
  }

  getForUpdate<TRow extends JsonValue = JsonValue>(table: string, key: string): Promise<TRow | undefined> {
    return this.statement("getForUpdate", [table, key], () => this.driver.get(table, key, true)) as Promise<
      TRow | undefined
    >;
  }

  async insert(table: string, key: string, row: JsonValue): Promise<void> {
    await this.write("insert", table, key, row, async (stored) => {
      await this.driver.insert(table, key, stored, false);
      return true;
    });
  }

  insertIfAbsent(table: string, key: string, row: JsonValue): Promise<boolean> {
    return this.write("insertIfAbsent", table, key, row, (stored) => this.driver.insert(table, key, stored, true));
  }

  async put(table: string, key: string, row: JsonValue): Promise<void> {
    await this.write("put", table, key, row, async (stored) => {
      await this.driver.put(table, key, stored);
      return true;
    });
  }

  delete(table: string, key: string): Promise<boolean> {
    return this.statement("delete", [table, key], async () => {
      const deleted = await this.driver.delete(table, key);
      if (deleted) this.writes.push({ table, key, deleted: true });
      return deleted;
    });
  }

  scan<TRow extends JsonValue = JsonValue>(table: string, options: ScanOptions = {}): Promise<ScannedRow<TRow>[]> {
    const { prefix, limit } = options;
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
      return Promise.reject(new RangeError(`scan of ${table}: limit ${limit} must be a whole number >= 0`));
    }
    const names = prefix === undefined ? [table] : [table, prefix];
    return this.statement("scan", names, () => this.driver.scan(table, prefix, limit)) as Promise<ScannedRow<TRow>[]>;
  }

  /** Waits for the statements already called; from now on every statement throws. */
  async end(): Promise<void> {
    this.ended = true;
    await this.queue;
  }

  private write(
    what: string,
    table: string,
    key: string,
    row: JsonValue,
    run: (stored: JsonValue) => Promise<boolean>,
  ): Promise<boolean> {
    let stored: JsonValue;
    try {
      stored = toStoredJson(row, `the row ${table}/${key}`);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.statement(what, [table, key], async () => {
      const wrote = await run(stored);
      if (wrote) this.writes.push({ table, key, row: stored });
      return wrote;
    });
  }

  /** Runs one statement after the ones called before it, unless the transaction is over or doomed. */
  private statement<R>(what: string, names: readonly string[], run: () => Promise<R>): Promise<R> {
    if (this.ended) {
      return Promise.reject(new Error(`tx.${what}(${names.join(", ")}) was called after its transaction ended`));
    }
    for (const name of names) {
      const bad = badText(name);
      if (bad !== null) return Promise.reject(new TypeError(`tx.${what}: the name '${name}' ${bad}`));
    }
    const result = this.queue.then(async () => {
      if (this.failure !== undefined) throw new TransactionAborted(this.failure);
      try {
        return await run();
      } catch (error) {
        // Only the database's verdicts doom the transaction, as in PostgreSQL; a bug in the
        // caller's value never reached it.
        if (error instanceof DatabaseError) this.failure ??= error;
        throw error;
      }
    });
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * A copy of `value` as a `jsonb` column would give it back, or a `TypeError` saying why it is not
 * JSON: object keys in jsonb's order (shorter first, then bytewise), `-0` as `0`, and nothing that
 * JSON.stringify would silently drop or change (`undefined`, `NaN`, a `Date`, a class instance).
 */
export function toStoredJson(value: unknown, where: string): JsonValue {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`${where} holds ${value}, which JSON cannot store`);
    return value === 0 ? 0 : value;
  }
  if (typeof value === "string") {
    const bad = badText(value);
    if (bad !== null) throw new TypeError(`${where} holds a string that ${bad}`);
    return value;
  }
  if (Array.isArray(value)) {
    const items: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) items.push(toStoredJson(value[i], `${where}[${i}]`));
    return items;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`${where} is a ${value.constructor?.name ?? "non-plain object"}, which JSON cannot store`);
    }
    const entries = Object.entries(value).map(([key, item]): [string, JsonValue] => {
      const bad = badText(key);
      if (bad !== null) throw new TypeError(`${where} has a property name that ${bad}`);
      return [key, toStoredJson(item, `${where}.${key}`)];
    });
    entries.sort(([a], [b]) => jsonbKeyOrder(a, b));
    // fromEntries defines "__proto__" as a plain property, as JSON.parse does.
    return Object.fromEntries(entries);
  }
  throw new TypeError(`${where} holds a ${typeof value}, which JSON cannot store`);
}

/** Why PostgreSQL's text cannot hold `text`, or null if it can. */
function badText(text: string): string | null {
  if (text.includes("\u0000")) return "contains a NUL character";
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) {
    return "contains a lone UTF-16 surrogate";
  }
  return null;
}

/** Keys in the order `ORDER BY key COLLATE "C"` gives: UTF-8 bytes, which is Unicode code point order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** jsonb's order of an object's keys: shorter (in bytes) first, then bytewise. */
function jsonbKeyOrder(a: string, b: string): number {
  return Buffer.byteLength(a, "utf8") - Buffer.byteLength(b, "utf8") || compareKeys(a, b);
}
