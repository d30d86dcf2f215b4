/**
 * The simulated database server's state and its statements, at READ COMMITTED, as PostgreSQL runs
 * them; `db.ts` puts it on the world's scheduler, between the clients' processes and faults.
 *
 * State: the committed rows; a row lock for each row some open transaction has written or locked
 * (`getForUpdate`), with the statements waiting for it in arrival order; and each open
 * transaction's own writes. A statement runs at one instant and sees the rows committed by then
 * plus its transaction's own writes. One that needs a row another open transaction holds waits;
 * when that transaction ends, the waiters run again, in order, against the newest committed rows
 * (PostgreSQL's re-check under READ COMMITTED). A wait that would close a cycle is a deadlock: the
 * statement that would wait fails with `TransactionConflict` and its transaction rolls back.
 *
 * The commit point is `applyCommit`: a transaction's writes become committed rows all at once.
 */
import { type JsonValue, type ScannedRow, TransactionConflict, UniqueViolation } from "../db.ts";
import { compareKeys, type RowWrite } from "../db-session.ts";

/** What became of one transaction, for checkers. */
export interface TransactionRecord {
  /** Numbered from 1 in the order transactions began. */
  id: number;
  nodeId: string;
  incarnation: number;
  beganAtMs: number;
  endedAtMs: number;
  outcome: "committed" | "rolled back";
  /** Why it ended ("committed", "the client rolled back", "the client crashed", "deadlock", ...). */
  reason: string;
  /** What it wrote, in statement order (for a rolled-back one: the rows it had written). */
  writes: readonly RowWrite[];
}

/** One statement's outcome at the server: done, failed, or it must wait for another transaction. */
export type Step<R> =
  | { kind: "done"; value: R }
  | { kind: "error"; error: Error }
  | { kind: "wait"; on: ServerTx; rowId: string };

/** What a statement's caller hears: its result or its error. */
export type StatementResult<R> = { ok: true; value: R } | { ok: false; error: Error };

/** A statement waiting for a row lock. */
interface Waiter {
  tx: ServerTx;
  rowId: string;
  retry(): void;
}

/** The row lock some open transaction holds, and who waits for it. */
interface RowLock {
  holder: ServerTx;
  waiters: Waiter[];
}

/** What a transaction's own write of a deleted row holds. */
const DELETED: unique symbol = Symbol("deleted");

/** One transaction at the server, from BEGIN to its end. */
export class ServerTx {
  state: "open" | "committing" | "committed" | "rolled back" = "open";
  /** Its own writes: the newest row per row id, or DELETED. */
  readonly writes = new Map<string, JsonValue | typeof DELETED>();
  /** Rows it holds the lock of. */
  readonly locked = new Set<string>();
  waiting: Waiter | null = null;
  /** What the client said it wrote, sent with COMMIT (for the history). */
  commitWrites: readonly RowWrite[] = [];

  constructor(
    readonly id: number,
    readonly nodeId: string,
    readonly incarnation: number,
    readonly beganAtMs: number,
  ) {}

  get label(): string {
    return `tx ${this.id}`;
  }

  get ended(): boolean {
    return this.state === "committed" || this.state === "rolled back";
  }
}

/** What the server needs from the world. */
export interface ServerHost {
  nowMs(): number;
  trace(nodeId: string, detail: string): void;
}

export class DbServer {
  /** Every transaction that ended, in the order they ended. */
  readonly transactions: TransactionRecord[] = [];
  private readonly committed = new Map<string, Map<string, JsonValue>>();
  private readonly locks = new Map<string, RowLock>();
  private readonly open = new Set<ServerTx>();

  constructor(private readonly host: ServerHost) {}

  /** `tx`'s BEGIN arrived. */
  begin(tx: ServerTx): void {
    this.open.add(tx);
    this.host.trace(tx.nodeId, `${tx.label} begins`);
  }

  get openCount(): number {
    return this.open.size;
  }

  /** The committed rows of `table`, in key order (copies). */
  rows<TRow extends JsonValue = JsonValue>(table: string): ScannedRow<TRow>[] {
    const rows = [...(this.committed.get(table) ?? new Map<string, JsonValue>())];
    rows.sort(([a], [b]) => compareKeys(a, b));
    return rows.map(([key, row]) => ({ key, row: structuredClone(row) as TRow }));
  }

  /** The committed row at `key`, or undefined (a copy). */
  row<TRow extends JsonValue = JsonValue>(table: string, key: string): TRow | undefined {
    const row = this.committedRow(table, key);
    return row === undefined ? undefined : (structuredClone(row) as TRow);
  }

  /**
   * Runs one statement of `tx` now, or as soon as the row it needs is free, and hands `done` its
   * outcome. `statement` runs again after each wait, against what is committed then.
   */
  execute<R>(tx: ServerTx, what: string, statement: () => Step<R>, done: (result: StatementResult<R>) => void): void {
    const step = statement();
    if (step.kind === "done") {
      done({ ok: true, value: step.value });
      return;
    }
    if (step.kind === "error") {
      this.host.trace(tx.nodeId, `${tx.label} ${what} -> ${step.error.name}`);
      done({ ok: false, error: step.error });
      return;
    }
    if (this.waitsFor(step.on, tx)) {
      // Waiting would close a cycle of transactions waiting for each other: abort this one.
      this.host.trace(tx.nodeId, `${tx.label} ${what} -> deadlock with ${step.on.label}`);
      this.end(tx, "rolled back", "deadlock");
      done({ ok: false, error: new TransactionConflict("deadlock") });
      return;
    }
    this.host.trace(tx.nodeId, `${tx.label} ${what} waits for ${step.on.label}`);
    const waiter: Waiter = { tx, rowId: step.rowId, retry: () => this.execute(tx, what, statement, done) };
    tx.waiting = waiter;
    this.locks.get(step.rowId)?.waiters.push(waiter);
  }

  // ---- Statements (each returns a Step; `execute` runs them) -----------------------------------

  get(tx: ServerTx, table: string, key: string, forUpdate: boolean): Step<JsonValue | undefined> {
    const rowId = rowIdOf(table, key);
    if (!forUpdate || tx.writes.has(rowId) || tx.locked.has(rowId)) {
      return { kind: "done", value: this.visible(tx, table, key) };
    }
    // FOR UPDATE locks a committed row; an absent key has nothing to lock.
    const row = this.committedRow(table, key);
    if (row === undefined) return { kind: "done", value: undefined };
    const holder = this.otherHolder(tx, rowId);
    if (holder !== undefined) return { kind: "wait", on: holder, rowId };
    this.lock(tx, rowId);
    return { kind: "done", value: row };
  }

  insert(tx: ServerTx, table: string, key: string, row: JsonValue, ifAbsent: boolean): Step<boolean> {
    const rowId = rowIdOf(table, key);
    const holder = this.otherHolder(tx, rowId);
    // Another transaction's uncommitted write of this key decides whether it will be taken: wait.
    if (holder?.writes.has(rowId)) return { kind: "wait", on: holder, rowId };
    if (this.visible(tx, table, key) !== undefined) {
      return ifAbsent ? { kind: "done", value: false } : { kind: "error", error: new UniqueViolation(table, key) };
    }
    this.lock(tx, rowId);
    tx.writes.set(rowId, row);
    return { kind: "done", value: true };
  }

  put(tx: ServerTx, table: string, key: string, row: JsonValue): Step<void> {
    const rowId = rowIdOf(table, key);
    const holder = this.otherHolder(tx, rowId);
    if (holder !== undefined) return { kind: "wait", on: holder, rowId };
    this.lock(tx, rowId);
    tx.writes.set(rowId, row);
    return { kind: "done", value: undefined };
  }

  delete(tx: ServerTx, table: string, key: string): Step<boolean> {
    const rowId = rowIdOf(table, key);
    // A row another open transaction only inserted is not visible: there is nothing to delete.
    if (this.visible(tx, table, key) === undefined) return { kind: "done", value: false };
    const holder = this.otherHolder(tx, rowId);
    if (holder !== undefined) return { kind: "wait", on: holder, rowId };
    this.lock(tx, rowId);
    tx.writes.set(rowId, DELETED);
    return { kind: "done", value: true };
  }

  scan(tx: ServerTx, table: string, prefix: string | undefined, limit: number | undefined): Step<ScannedRow[]> {
    const seen = new Map(this.committed.get(table) ?? []);
    const tablePrefix = rowIdOf(table, "");
    for (const [rowId, row] of tx.writes) {
      if (!rowId.startsWith(tablePrefix)) continue;
      const key = rowId.slice(tablePrefix.length);
      if (row === DELETED) seen.delete(key);
      else seen.set(key, row);
    }
    let rows = [...seen]
      .filter(([key]) => prefix === undefined || key.startsWith(prefix))
      .sort(([a], [b]) => compareKeys(a, b));
    if (limit !== undefined) rows = rows.slice(0, limit);
    return { kind: "done", value: rows.map(([key, row]) => ({ key, row })) };
  }

  // ---- Ending a transaction -----------------------------------------------------------------

  /** COMMIT arrived: the transaction flushes its log, still holding its locks, until `applyCommit`. */
  startCommit(tx: ServerTx, writes: readonly RowWrite[]): void {
    tx.state = "committing";
    tx.commitWrites = writes;
  }

  /** The commit point: the transaction's writes become committed rows, all at once. */
  applyCommit(tx: ServerTx): void {
    for (const [rowId, row] of tx.writes) {
      const [table, key] = splitRowId(rowId);
      let rows = this.committed.get(table);
      if (rows === undefined) {
        rows = new Map();
        this.committed.set(table, rows);
      }
      if (row === DELETED) rows.delete(key);
      else rows.set(key, row);
    }
    this.end(tx, "committed", "committed");
  }

  /** Ends `tx` (committed or rolled back), releases its locks, and wakes who waited for them. */
  end(tx: ServerTx, outcome: TransactionRecord["outcome"], reason: string): void {
    if (tx.ended) return;
    tx.state = outcome;
    this.open.delete(tx);
    if (tx.waiting !== null) {
      const waiters = this.locks.get(tx.waiting.rowId)?.waiters;
      const at = waiters?.indexOf(tx.waiting) ?? -1;
      if (at >= 0) waiters?.splice(at, 1);
      tx.waiting = null;
    }
    this.transactions.push({
      id: tx.id,
      nodeId: tx.nodeId,
      incarnation: tx.incarnation,
      beganAtMs: tx.beganAtMs,
      endedAtMs: this.host.nowMs(),
      outcome,
      reason,
      writes: outcome === "committed" ? tx.commitWrites : ownWrites(tx),
    });
    this.host.trace(tx.nodeId, `${tx.label} ${outcome === "committed" ? "committed" : `rolled back: ${reason}`}`);
    const woken: Waiter[] = [];
    for (const rowId of tx.locked) {
      woken.push(...(this.locks.get(rowId)?.waiters ?? []));
      this.locks.delete(rowId);
    }
    tx.locked.clear();
    for (const waiter of woken) {
      // A retry can end other transactions (a deadlock): theirs are not retried.
      if (waiter.tx.state !== "open" || waiter.tx.waiting !== waiter) continue;
      waiter.tx.waiting = null;
      waiter.retry();
    }
  }

  // ---- Rows and locks -------------------------------------------------------------------------

  private committedRow(table: string, key: string): JsonValue | undefined {
    return this.committed.get(table)?.get(key);
  }

  /** What `tx` sees at `table/key`: its own write, else the newest committed row. */
  private visible(tx: ServerTx, table: string, key: string): JsonValue | undefined {
    const own = tx.writes.get(rowIdOf(table, key));
    if (own !== undefined) return own === DELETED ? undefined : own;
    return this.committedRow(table, key);
  }

  /** The other open transaction that holds `rowId`'s lock, if any. */
  private otherHolder(tx: ServerTx, rowId: string): ServerTx | undefined {
    const holder = this.locks.get(rowId)?.holder;
    return holder === tx ? undefined : holder;
  }

  private lock(tx: ServerTx, rowId: string): void {
    if (tx.locked.has(rowId)) return;
    this.locks.set(rowId, { holder: tx, waiters: [] });
    tx.locked.add(rowId);
  }

  /** True if `from` waits, directly or through others, for `target`. */
  private waitsFor(from: ServerTx, target: ServerTx): boolean {
    const seen = new Set<ServerTx>();
    for (let at: ServerTx | undefined = from; at !== undefined && !seen.has(at); ) {
      if (at === target) return true;
      seen.add(at);
      at = at.waiting === null ? undefined : this.locks.get(at.waiting.rowId)?.holder;
    }
    return false;
  }
}

/** The rows a transaction had written, for the record of one that rolled back. */
function ownWrites(tx: ServerTx): RowWrite[] {
  return [...tx.writes].map(([rowId, row]): RowWrite => {
    const [table, key] = splitRowId(rowId);
    return row === DELETED ? { table, key, deleted: true } : { table, key, row };
  });
}

/** Table and key in one string; a NUL cannot occur in either (db-session.ts refuses it). */
function rowIdOf(table: string, key: string): string {
  return `${table}\u0000${key}`;
}

function splitRowId(rowId: string): [table: string, key: string] {
  const at = rowId.indexOf("\u0000");
  return [rowId.slice(0, at), rowId.slice(at + 1)];
}
