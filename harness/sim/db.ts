/**
 * The simulated business database: a model of one PostgreSQL server at READ COMMITTED, on the
 * world's scheduler, with the contract of `Database` (harness/db.ts).
 *
 * The server runs on a machine of its own, outside the fault plan's nodes. Its state is the
 * committed rows, a row lock per row some open transaction has written or locked (with the
 * statements waiting for it, in arrival order), and the open transactions with their own writes.
 * Committed rows survive everything; nothing else does.
 *
 * Time: every statement is a round trip, a draw of `networkMs` each way; a commit also waits for
 * its log flush (`commitMs`) before it takes effect. A statement executes at the instant it
 * arrives: it sees what was committed by then plus its own transaction's writes. So two
 * transactions that run "check, then write" interleave for real, and a statement that needs a row
 * another transaction has written waits, at the server, until that transaction ends.
 *
 * The client's process: each `Database` handle belongs to one node incarnation. When it dies, the
 * server ends its connections: an open transaction rolls back and releases its locks, unless a
 * commit of it is already on its way or being flushed (bytes sent before a crash still arrive).
 * Replies go only to the incarnation that asked, and a dead one's calls never settle.
 *
 * Faults the model can inject (a workload or fault plan calls these):
 * - `cut(nodeId)` / `heal(nodeId)`: the node cannot reach the database. Its connections break:
 *   open transactions roll back at the server; a commit already on its way gets through or not
 *   (a draw); every call waiting for a reply fails after `brokenConnectionMs` with
 *   `ConnectionLost`, or `CommitOutcomeUnknown` for a commit. New transactions fail likewise.
 * - `restart(downMs)`: the server crashes and restarts. Every connection breaks as above; a commit
 *   being flushed is kept or lost (a draw); committed rows survive.
 * - `loseCommitReplies(nodeId, count)`: the next `count` commits of the node take effect, and the
 *   connection breaks before the reply: the caller gets `CommitOutcomeUnknown`.
 * - `abortCommits(nodeId, count)`: the next `count` commits of the node fail with a serialization
 *   failure (`TransactionConflict`) and roll back, as a real server may abort any transaction.
 * None of these happens unless asked for: without faults, every call gets its answer. A fault
 * can also be aimed at a node's "db" gap (`SimNode.armTrip("db", n, fire)`): it strikes right
 * after the node's n-th write or commit took effect, before the caller hears back.
 *
 * Where the model is simpler than PostgreSQL (docs/business-database.md lists all of it):
 * connections are unlimited (no pool to exhaust); a deadlock is detected at once (PostgreSQL
 * waits `deadlock_timeout`, 1 s) and the transaction that would close the cycle is the one
 * aborted; a dead client's transaction rolls back at once even while waiting for a lock (PostgreSQL
 * notices only when it next talks to the client, unless `client_connection_check_interval` is set);
 * a client machine's power loss is treated as a crash (the server notices at once).
 */
import {
  CommitOutcomeUnknown,
  ConnectionLost,
  type Database,
  type JsonValue,
  type ScannedRow,
  type Transaction,
  TransactionConflict,
  UniqueViolation,
} from "../db.ts";
import { compareKeys, type RowWrite, runTransaction, type TransactionDriver } from "../db-session.ts";
import type { Env } from "../env.ts";
import { drawLatency, type LatencyMs } from "./latency.ts";
import type { SimNode } from "./node.ts";
import type { SimRng } from "./rng.ts";
import type { World } from "./world.ts";

/** How fast the simulated database is. */
export interface DbProfile {
  /** One way between a client and the server, drawn per message. */
  networkMs: LatencyMs;
  /** A commit's log flush at the server, before it takes effect. */
  commitMs: LatencyMs;
  /** How long a client takes to notice a broken connection or an unreachable server. */
  brokenConnectionMs: number;
}

/** A server on the same rack: a statement's round trip in 0.1-0.6 ms, a commit's flush in about 0.5 ms. */
export const defaultDbProfile: DbProfile = {
  networkMs: [0.05, 0.3],
  commitMs: [0.2, 0.8],
  brokenConnectionMs: 200,
};

/** What became of one transaction, for checkers. */
export interface TransactionRecord {
  /** Numbered from 1 in the order transactions began. */
  id: number;
  nodeId: string;
  incarnation: number;
  beganAtMs: number;
  endedAtMs: number;
  outcome: "committed" | "rolled back";
  /** Why it rolled back ("the client rolled back", "the client crashed", "deadlock", ...). */
  reason: string;
  /** What it wrote, in statement order (for a rolled-back one: what it had written). */
  writes: readonly RowWrite[];
}

/** A transaction's outcome of one statement at the server: done, failed, or it must wait. */
type Step<R> =
  | { kind: "done"; value: R }
  | { kind: "error"; error: Error }
  | { kind: "wait"; on: ServerTx; rowId: string };

/** A statement waiting at the server for a row lock. */
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

/** A call waiting for its reply at the client. */
interface PendingCall {
  kind: "begin" | "statement" | "commit";
  settle(result: { ok: true; value: unknown } | { ok: false; error: Error }): void;
}

/** Who is on the client end of a connection. */
interface Client {
  node: SimNode<unknown>;
  nodeId: string;
  incarnation: number;
  alive(): boolean;
}

/** One transaction at the server, from BEGIN to its end. */
class ServerTx {
  state: "open" | "committing" | "committed" | "rolled back" = "open";
  /** A message of this transaction on its way to the server. */
  inTransit: "none" | "statement" | "commit" = "none";
  /** Its own writes: the newest row per row id, or DELETED. */
  readonly writes = new Map<string, JsonValue | typeof DELETED>();
  /** Rows it holds the lock of. */
  readonly locked = new Set<string>();
  waiting: Waiter | null = null;
  /** The client's end: the call waiting for a reply, and whether the connection broke. */
  pending: PendingCall | null = null;
  broken = false;
  /** What the client said it wrote, sent with COMMIT (for the history). */
  commitWrites: readonly RowWrite[] = [];

  constructor(
    readonly id: number,
    readonly client: Client,
    readonly beganAtMs: number,
  ) {}

  get label(): string {
    return `tx ${this.id}`;
  }
}

/** The simulated database server of one world. */
export class SimDatabase {
  readonly profile: DbProfile;
  /** Every transaction that ended, in the order they ended. */
  readonly transactions: TransactionRecord[] = [];
  private readonly committed = new Map<string, Map<string, JsonValue>>();
  private readonly locks = new Map<string, RowLock>();
  private readonly open = new Set<ServerTx>();
  private readonly rng: SimRng;
  private readonly watched = new Set<string>();
  private readonly cutNodes = new Set<string>();
  private downUntilMs = 0;
  private readonly lostReplies = new Map<string, number>();
  private readonly abortedCommits = new Map<string, number>();
  private nextTxId = 1;

  constructor(
    private readonly world: World,
    profile: Partial<DbProfile> = {},
  ) {
    this.profile = { ...defaultDbProfile, ...profile };
    this.rng = world.rootRng.fork("db");
  }

  /** The `Database` for the process `env` belongs to (call it in the node's boot function). */
  connect(env: Env): Database {
    const node = this.world.node(env.nodeId);
    this.watch(node);
    const client: Client = {
      node,
      nodeId: env.nodeId,
      incarnation: env.incarnation,
      alive: () => node.isUp && node.incarnation?.number === env.incarnation,
    };
    return {
      transaction: async <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => {
        const tx = await this.begin(client);
        return runTransaction(new SimDriver(this, tx), work);
      },
    };
  }

  // ---- What checkers read -------------------------------------------------------------------

  /** The committed rows of `table`, in key order (copies). */
  rows<TRow extends JsonValue = JsonValue>(table: string): ScannedRow<TRow>[] {
    const rows = [...(this.committed.get(table) ?? new Map<string, JsonValue>())];
    rows.sort(([a], [b]) => compareKeys(a, b));
    return rows.map(([key, row]) => ({ key, row: structuredClone(row) as TRow }));
  }

  /** The committed row at `key`, or undefined (a copy). */
  row<TRow extends JsonValue = JsonValue>(table: string, key: string): TRow | undefined {
    const row = this.committed.get(table)?.get(key);
    return row === undefined ? undefined : (structuredClone(row) as TRow);
  }

  /** The committed transactions, in commit order. */
  history(): TransactionRecord[] {
    return this.transactions.filter((t) => t.outcome === "committed");
  }

  /** How many transactions are open now (begun, not yet ended). */
  get openCount(): number {
    return this.open.size;
  }

  // ---- Faults -------------------------------------------------------------------------------

  /** Cuts `nodeId` off the database until `heal(nodeId)`; its connections break now. */
  cut(nodeId: string): void {
    this.cutNodes.add(nodeId);
    this.trace(nodeId, "cut off from the database");
    for (const tx of [...this.open])
      if (tx.client.nodeId === nodeId) this.sever(tx, "the network to the database broke");
  }

  heal(nodeId: string): void {
    if (this.cutNodes.delete(nodeId)) this.trace(nodeId, "reaches the database again");
  }

  /** The server crashes and comes back after `downMs`. Committed rows survive. */
  restart(downMs: number): void {
    this.downUntilMs = Math.max(this.downUntilMs, this.world.nowMs + downMs);
    this.trace("-", `database restarts (down ${downMs} ms)`);
    for (const tx of [...this.open]) {
      if (tx.state === "committing" && this.rng.chance(0.5)) this.applyCommit(tx);
      else this.sever(tx, "the database restarted", false);
    }
  }

  /** The next `count` commits of `nodeId` take effect, and their replies are lost. */
  loseCommitReplies(nodeId: string, count: number): void {
    this.lostReplies.set(nodeId, (this.lostReplies.get(nodeId) ?? 0) + count);
  }

  /** The next `count` commits of `nodeId` fail with a serialization failure. */
  abortCommits(nodeId: string, count: number): void {
    this.abortedCommits.set(nodeId, (this.abortedCommits.get(nodeId) ?? 0) + count);
  }

  // ---- The client's side: messages to the server and back -------------------------------------

  private begin(client: Client): Promise<ServerTx> {
    if (!client.alive()) return new Promise(() => {});
    const tx = new ServerTx(this.nextTxId++, client, this.world.nowMs);
    return new Promise((resolve, reject) => {
      tx.pending = {
        kind: "begin",
        settle: (result) => (result.ok ? resolve(tx) : reject(result.error)),
      };
      if (!this.reachable(client.nodeId)) {
        this.breakClientSide(tx, "the database is unreachable");
        return;
      }
      this.toServer(tx, "statement", "begin", () => {
        this.open.add(tx);
        this.trace(client.nodeId, `${tx.label} begins`);
        this.reply(tx, { ok: true, value: undefined });
      });
    });
  }

  /**
   * Sends one statement of `tx`; resolves with its result, as the server computed it. `changed`
   * says whether a result means the statement wrote: a fault can be aimed right after such a call.
   */
  call<R>(tx: ServerTx, what: string, execute: () => Step<R>, changed?: (result: R) => boolean): Promise<R> {
    if (!tx.client.alive()) return new Promise(() => {});
    return new Promise<R>((resolve, reject) => {
      tx.pending = {
        kind: "statement",
        settle: (result) => (result.ok ? resolve(result.value as R) : reject(result.error)),
      };
      if (tx.broken || !this.reachable(tx.client.nodeId)) {
        this.breakClientSide(tx, "the connection is broken");
        return;
      }
      this.toServer(tx, "statement", what, () => this.run(tx, what, execute, changed));
    });
  }

  /** Sends COMMIT; resolves once the transaction committed. */
  commit(tx: ServerTx, writes: readonly RowWrite[]): Promise<void> {
    if (!tx.client.alive()) return new Promise(() => {});
    return new Promise<void>((resolve, reject) => {
      tx.pending = { kind: "commit", settle: (result) => (result.ok ? resolve() : reject(result.error)) };
      if (tx.broken || !this.reachable(tx.client.nodeId)) {
        this.breakClientSide(tx, "the connection is broken");
        return;
      }
      this.toServer(tx, "commit", "commit", () => this.startCommit(tx, writes));
    });
  }

  /** Sends ROLLBACK without waiting for its reply (a broken connection rolls back by itself). */
  rollback(tx: ServerTx): Promise<void> {
    if (!tx.client.alive()) return new Promise(() => {});
    if (tx.broken || tx.state !== "open") return Promise.resolve();
    return new Promise<void>((resolve) => {
      tx.pending = { kind: "statement", settle: () => resolve() };
      this.toServer(tx, "statement", "rollback", () => {
        this.end(tx, "rolled back", "the client rolled back");
        this.reply(tx, { ok: true, value: undefined });
      });
    });
  }

  private toServer(tx: ServerTx, kind: "statement" | "commit", what: string, arrive: () => void): void {
    tx.inTransit = kind;
    this.world.scheduler.after(drawLatency(this.profile.networkMs, this.rng), null, `db ${tx.label} ${what}`, () => {
      tx.inTransit = "none";
      // A transaction the server already ended (its client died or its connection broke) takes
      // no more statements; a commit that got through before that is handled where it ended.
      if (tx.state !== "open") return;
      // Sent before a cut or a restart, it is lost, unless it is a commit that got through (sever).
      if (!tx.broken && !this.reachable(tx.client.nodeId)) {
        this.sever(tx, "the database is unreachable", false);
        return;
      }
      if (!tx.client.alive() && kind !== "commit") {
        this.end(tx, "rolled back", "the client crashed");
        return;
      }
      arrive();
    });
  }

  /**
   * The server's answer travels back; only the incarnation that asked, alive, hears it. For a
   * call that wrote (`wrote` names it), a fault aimed at the node's "db" gap strikes first: the
   * write or commit took effect, and its caller has not heard yet.
   */
  private reply(
    tx: ServerTx,
    result: { ok: true; value: unknown } | { ok: false; error: Error },
    wrote: string | null = null,
  ): void {
    const call = tx.pending;
    if (call === null || tx.broken) return;
    const delayMs = drawLatency(this.profile.networkMs, this.rng);
    const nodeId = tx.client.nodeId;
    this.world.scheduler.after(delayMs, nodeId, `db ${tx.label} reply`, () => {
      if (!tx.client.alive() || tx.pending !== call || tx.broken) return;
      tx.pending = null;
      const settle = (): void => call.settle(result.ok ? { ok: true, value: structuredClone(result.value) } : result);
      const fate = wrote === null ? "goOn" : tx.client.node.passBoundary("db", `${wrote} (${tx.label})`);
      if (fate === "goOn") settle();
      // A paused caller hears back when it resumes (the event is the node's, so it is held).
      else if (fate === "paused") this.world.scheduler.after(0, nodeId, `db ${tx.label} reply`, settle);
    });
  }

  /** The client learns, `brokenConnectionMs` later, that its connection is gone. */
  private breakClientSide(tx: ServerTx, why: string): void {
    tx.broken = true;
    const call = tx.pending;
    if (call === null) return;
    this.world.scheduler.after(this.profile.brokenConnectionMs, tx.client.nodeId, `db ${tx.label} broken`, () => {
      if (!tx.client.alive() || tx.pending !== call) return;
      tx.pending = null;
      call.settle({
        ok: false,
        error: call.kind === "commit" ? new CommitOutcomeUnknown(why) : new ConnectionLost(why),
      });
    });
  }

  /**
   * Breaks `tx`'s connection: the server rolls it back (unless a commit of it got through: when
   * `commitMayArrive`, a commit on its way does with even odds) and the client hears of it later.
   */
  private sever(tx: ServerTx, why: string, commitMayArrive = true): void {
    this.breakClientSide(tx, why);
    if (tx.state === "committing") return;
    if (tx.inTransit === "commit" && commitMayArrive && this.rng.chance(0.5)) return;
    this.end(tx, "rolled back", why);
  }

  private reachable(nodeId: string): boolean {
    return !this.cutNodes.has(nodeId) && this.world.nowMs >= this.downUntilMs;
  }

  private watch(node: SimNode<unknown>): void {
    if (this.watched.has(node.id)) return;
    this.watched.add(node.id);
    node.onDeath((incarnation) => {
      for (const tx of [...this.open]) {
        if (tx.client.nodeId !== node.id || tx.client.incarnation !== incarnation) continue;
        // Bytes sent before the crash still arrive: a statement on its way ends the transaction
        // when it lands (see toServer), a commit on its way or being flushed still commits.
        if (tx.state === "open" && tx.inTransit === "none") this.end(tx, "rolled back", "the client crashed");
      }
    });
  }

  // ---- The server: statements, locks, commits ---------------------------------------------------

  private run<R>(tx: ServerTx, what: string, execute: () => Step<R>, changed?: (result: R) => boolean): void {
    const step = execute();
    if (step.kind === "done") {
      this.reply(tx, { ok: true, value: step.value }, changed?.(step.value) === true ? what : null);
      return;
    }
    if (step.kind === "error") {
      this.trace(tx.client.nodeId, `${tx.label} ${what} -> ${step.error.name}`);
      this.reply(tx, { ok: false, error: step.error });
      return;
    }
    if (this.waitsFor(step.on, tx)) {
      // Waiting would close a cycle of transactions waiting for each other: abort this one.
      this.trace(tx.client.nodeId, `${tx.label} ${what} -> deadlock with ${step.on.label}`);
      this.end(tx, "rolled back", "deadlock");
      this.reply(tx, { ok: false, error: new TransactionConflict("deadlock") });
      return;
    }
    this.trace(tx.client.nodeId, `${tx.label} ${what} waits for ${step.on.label}`);
    const waiter: Waiter = { tx, rowId: step.rowId, retry: () => this.run(tx, what, execute, changed) };
    tx.waiting = waiter;
    this.lockOf(step.rowId)?.waiters.push(waiter);
  }

  /** True if `from` waits, directly or through others, for `target`. */
  private waitsFor(from: ServerTx, target: ServerTx): boolean {
    const seen = new Set<ServerTx>();
    for (let at: ServerTx | undefined = from; at !== undefined && !seen.has(at); ) {
      if (at === target) return true;
      seen.add(at);
      at = at.waiting === null ? undefined : this.lockOf(at.waiting.rowId)?.holder;
    }
    return false;
  }

  private lockOf(rowId: string): RowLock | undefined {
    return this.locks.get(rowId);
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

  private committedRow(table: string, key: string): JsonValue | undefined {
    return this.committed.get(table)?.get(key);
  }

  /** What `tx` sees at `table/key`: its own write, else the newest committed row. */
  visible(tx: ServerTx, table: string, key: string): JsonValue | undefined {
    const own = tx.writes.get(rowIdOf(table, key));
    if (own !== undefined) return own === DELETED ? undefined : own;
    return this.committedRow(table, key);
  }

  get(tx: ServerTx, table: string, key: string, forUpdate: boolean): Step<JsonValue | undefined> {
    const rowId = rowIdOf(table, key);
    if (!forUpdate || tx.writes.has(rowId) || tx.locked.has(rowId)) {
      return { kind: "done", value: this.visible(tx, table, key) };
    }
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

  private startCommit(tx: ServerTx, writes: readonly RowWrite[]): void {
    const nodeId = tx.client.nodeId;
    if (takeOne(this.abortedCommits, nodeId)) {
      this.end(tx, "rolled back", "serialization failure (injected)");
      this.reply(tx, { ok: false, error: new TransactionConflict("serialization failure") });
      return;
    }
    tx.state = "committing";
    tx.commitWrites = writes;
    this.world.scheduler.after(drawLatency(this.profile.commitMs, this.rng), null, `db ${tx.label} flush`, () => {
      if (tx.state !== "committing") return;
      this.applyCommit(tx);
      if (takeOne(this.lostReplies, nodeId)) this.breakClientSide(tx, "the connection broke before the reply");
      else this.reply(tx, { ok: true, value: undefined }, "commit");
    });
  }

  /** The commit point: the transaction's writes become committed rows, all at once. */
  private applyCommit(tx: ServerTx): void {
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
  private end(tx: ServerTx, outcome: TransactionRecord["outcome"], reason: string): void {
    if (tx.state === "committed" || tx.state === "rolled back") return;
    tx.state = outcome;
    this.open.delete(tx);
    if (tx.waiting !== null) {
      const waiters = this.lockOf(tx.waiting.rowId)?.waiters;
      const at = waiters?.indexOf(tx.waiting) ?? -1;
      if (at >= 0) waiters?.splice(at, 1);
      tx.waiting = null;
    }
    this.transactions.push({
      id: tx.id,
      nodeId: tx.client.nodeId,
      incarnation: tx.client.incarnation,
      beganAtMs: tx.beganAtMs,
      endedAtMs: this.world.nowMs,
      outcome,
      reason,
      writes:
        outcome === "committed"
          ? tx.commitWrites
          : [...tx.writes].map(([rowId, row]): RowWrite => {
              const [table, key] = splitRowId(rowId);
              return row === DELETED ? { table, key, deleted: true } : { table, key, row };
            }),
    });
    this.trace(tx.client.nodeId, `${tx.label} ${outcome === "committed" ? "committed" : `rolled back: ${reason}`}`);
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

  private trace(nodeId: string, detail: string): void {
    this.world.traceEvent(nodeId, "db", detail);
  }
}

/** The driver `runTransaction` uses: each statement is a call to the server. */
class SimDriver implements TransactionDriver {
  constructor(
    private readonly db: SimDatabase,
    private readonly tx: ServerTx,
  ) {}

  get(table: string, key: string, forUpdate: boolean): Promise<JsonValue | undefined> {
    return this.db.call(this.tx, `${forUpdate ? "getForUpdate" : "get"} ${table}/${key}`, () =>
      this.db.get(this.tx, table, key, forUpdate),
    );
  }

  insert(table: string, key: string, row: JsonValue, ifAbsent: boolean): Promise<boolean> {
    return this.db.call(
      this.tx,
      `${ifAbsent ? "insertIfAbsent" : "insert"} ${table}/${key}`,
      () => this.db.insert(this.tx, table, key, row, ifAbsent),
      (inserted) => inserted,
    );
  }

  put(table: string, key: string, row: JsonValue): Promise<void> {
    return this.db.call(
      this.tx,
      `put ${table}/${key}`,
      () => this.db.put(this.tx, table, key, row),
      () => true,
    );
  }

  delete(table: string, key: string): Promise<boolean> {
    return this.db.call(
      this.tx,
      `delete ${table}/${key}`,
      () => this.db.delete(this.tx, table, key),
      (deleted) => deleted,
    );
  }

  scan(table: string, prefix: string | undefined, limit: number | undefined): Promise<ScannedRow[]> {
    return this.db.call(this.tx, `scan ${table}`, () => this.db.scan(this.tx, table, prefix, limit));
  }

  commit(writes: readonly RowWrite[]): Promise<void> {
    return this.db.commit(this.tx, writes);
  }

  rollback(): Promise<void> {
    return this.db.rollback(this.tx);
  }
}

/** What a transaction's own write of a deleted row holds. */
const DELETED: unique symbol = Symbol("deleted");

/** Table and key in one string; a NUL cannot occur in either (db-session.ts refuses it). */
function rowIdOf(table: string, key: string): string {
  return `${table}\u0000${key}`;
}

function splitRowId(rowId: string): [table: string, key: string] {
  const at = rowId.indexOf("\u0000");
  return [rowId.slice(0, at), rowId.slice(at + 1)];
}

/** Spends one of `nodeId`'s counted faults; true if there was one. */
function takeOne(counts: Map<string, number>, nodeId: string): boolean {
  const left = counts.get(nodeId) ?? 0;
  if (left <= 0) return false;
  counts.set(nodeId, left - 1);
  return true;
}
