/**
 * The simulated business database: one PostgreSQL server at READ COMMITTED (`db-server.ts`) on
 * the world's scheduler, with its clients' connections and the faults that break them, keeping
 * the contract of `Database` (harness/db.ts).
 *
 * The server runs on a machine of its own, outside the fault plan's nodes: committed rows survive
 * everything; nothing else does.
 *
 * Time: every statement is a round trip, a draw of `networkMs` each way; a commit also waits for
 * its log flush (`commitMs`) before it takes effect. A statement executes at the instant it
 * arrives. So two transactions that run "check, then write" interleave for real, and a statement
 * that needs a row another transaction has written waits, at the server, until that one ends.
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
 * waits `deadlock_timeout`, 1 s); a dead or cut-off client's transaction rolls back at once, even
 * while it waits for a lock (PostgreSQL notices only when it next talks to the client, or when TCP
 * keepalive or `idle_in_transaction_session_timeout` gives up on it); a client machine's power
 * loss is treated as a crash.
 */
import {
  CommitOutcomeUnknown,
  ConnectionLost,
  type Database,
  type JsonValue,
  type ScannedRow,
  type Transaction,
  TransactionConflict,
} from "../db.ts";
import { type RowWrite, runTransaction, type TransactionDriver } from "../db-session.ts";
import type { Env } from "../env.ts";
import { DbServer, ServerTx, type StatementResult, type Step, type TransactionRecord } from "./db-server.ts";
import { drawLatency, type LatencyMs } from "./latency.ts";
import type { SimNode } from "./node.ts";
import { type Client, CountedFaults, clientOf, hearBack, type LinkProfile, SideService } from "./side-service.ts";
import type { World } from "./world.ts";

export type { TransactionRecord } from "./db-server.ts";

/** How fast the simulated database is: the way to it (`networkMs`, `brokenConnectionMs`), and its flush. */
export interface DbProfile extends LinkProfile {
  /** A commit's log flush at the server, before it takes effect. */
  commitMs: LatencyMs;
}

/** A server on the same rack: a statement's round trip in 0.1-0.6 ms, a commit's flush in about 0.5 ms. */
export const defaultDbProfile: DbProfile = {
  networkMs: [0.05, 0.3],
  commitMs: [0.2, 0.8],
  brokenConnectionMs: 200,
};

/** A call waiting for its reply at the client. */
interface PendingCall {
  kind: "begin" | "statement" | "commit";
  settle(result: StatementResult<unknown>): void;
}

/** A counted fault armed on a node's next commits. */
interface CommitFault {
  nodeId: string;
  kind: "lose reply" | "abort";
  left: number;
}

/** One transaction's connection: the client's end and what is on the wire. */
class Connection {
  /** A message on its way to the server. */
  inTransit: "none" | "statement" | "commit" = "none";
  /** The call waiting for a reply. */
  pending: PendingCall | null = null;
  broken = false;

  constructor(
    readonly tx: ServerTx,
    readonly client: Client,
  ) {}

  get nodeId(): string {
    return this.tx.nodeId;
  }
}

/** The simulated database of one world. */
export class SimDatabase extends SideService<DbProfile> {
  private readonly server: DbServer;
  /** Connections whose transaction may not have ended yet (ended ones are dropped as found). */
  private readonly connections = new Set<Connection>();
  private readonly watched = new Set<string>();
  private readonly commitFaults = new CountedFaults<CommitFault>();
  private nextTxId = 1;

  constructor(world: World, profile: Partial<DbProfile> = {}) {
    super(world, "db", { ...defaultDbProfile, ...profile });
    this.server = new DbServer({
      nowMs: () => world.nowMs,
      trace: (nodeId, detail) => world.traceEvent(nodeId, "db", detail),
    });
  }

  /** The `Database` for the process `env` belongs to (call it in the node's boot function). */
  connect(env: Env): Database {
    const client = clientOf(this.world, env);
    this.watch(client.node);
    return {
      transaction: async <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => {
        const conn = await this.begin(client);
        return runTransaction(new SimDriver(this, conn), work);
      },
    };
  }

  // ---- What checkers read -------------------------------------------------------------------

  /** Every transaction that ended, in the order they ended. */
  get transactions(): readonly TransactionRecord[] {
    return this.server.transactions;
  }

  /** The committed transactions, in commit order. */
  history(): TransactionRecord[] {
    return this.server.transactions.filter((t) => t.outcome === "committed");
  }

  /** The committed rows of `table`, in key order (copies). */
  rows<TRow extends JsonValue = JsonValue>(table: string): ScannedRow<TRow>[] {
    return this.server.rows<TRow>(table);
  }

  /** The committed row at `key`, or undefined (a copy). */
  row<TRow extends JsonValue = JsonValue>(table: string, key: string): TRow | undefined {
    return this.server.row<TRow>(table, key);
  }

  /** How many transactions are open now (begun, not yet ended). */
  get openCount(): number {
    return this.server.openCount;
  }

  // ---- Faults -------------------------------------------------------------------------------

  /** Cuts `nodeId` off the database until a `heal(nodeId)` for each cut; its connections break now. */
  cut(nodeId: string): void {
    this.reach.cut(nodeId);
    this.world.traceEvent(nodeId, "db", "cut off from the database");
    for (const conn of this.live()) if (conn.nodeId === nodeId) this.sever(conn, "the network to the database broke");
  }

  heal(nodeId: string): void {
    if (this.reach.heal(nodeId)) this.world.traceEvent(nodeId, "db", "reaches the database again");
  }

  /** The server crashes and comes back after `downMs`. Committed rows survive. */
  restart(downMs: number): void {
    this.reach.down(downMs);
    this.world.traceEvent("-", "db", `database restarts (down ${downMs} ms)`);
    for (const conn of this.live()) {
      // A commit being flushed when the server died was durable, or it was not.
      if (conn.tx.state === "committing") {
        if (this.rng.chance(0.5)) this.server.applyCommit(conn.tx);
        else this.server.end(conn.tx, "rolled back", "the database restarted before the commit was durable");
      }
      this.sever(conn, "the database restarted", false);
    }
  }

  /** The next `count` commits of `nodeId` take effect, and their replies are lost (until disarmed). */
  loseCommitReplies(nodeId: string, count: number): { disarm(): void } {
    return this.commitFaults.arm({ nodeId, kind: "lose reply", left: count });
  }

  /** The next `count` commits of `nodeId` fail with a serialization failure (until disarmed). */
  abortCommits(nodeId: string, count: number): { disarm(): void } {
    return this.commitFaults.arm({ nodeId, kind: "abort", left: count });
  }

  /** Spends one armed commit fault of this kind for `nodeId`; true if there was one. */
  private takeCommitFault(nodeId: string, kind: CommitFault["kind"]): boolean {
    return this.commitFaults.take((f) => f.nodeId === nodeId && f.kind === kind);
  }

  // ---- Calls: to the server and back --------------------------------------------------------

  private begin(client: Client): Promise<Connection> {
    if (!client.alive()) return new Promise(() => {});
    const tx = new ServerTx(this.nextTxId++, client.node.id, client.incarnation, this.world.nowMs);
    const conn = new Connection(tx, client);
    this.connections.add(conn);
    return new Promise((resolve, reject) => {
      this.send(
        conn,
        "begin",
        "begin",
        (result) => (result.ok ? resolve(conn) : reject(result.error)),
        () => {
          this.server.begin(tx);
          this.reply(conn, { ok: true, value: undefined });
        },
      );
    });
  }

  /**
   * Sends one statement; resolves with its result, as the server computed it. `changed` says
   * whether a result means the statement wrote: a fault can be aimed right after such a call.
   */
  statement<R>(conn: Connection, what: string, step: () => Step<R>, changed?: (result: R) => boolean): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const settle = (result: StatementResult<unknown>): void =>
        result.ok ? resolve(result.value as R) : reject(result.error);
      this.send(conn, "statement", what, settle, () =>
        this.server.execute(conn.tx, what, step, (result) =>
          this.reply(conn, result, result.ok && changed?.(result.value) === true ? what : null),
        ),
      );
    });
  }

  /** Sends COMMIT; resolves once the transaction committed. */
  commit(conn: Connection, writes: readonly RowWrite[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (result: StatementResult<unknown>): void => (result.ok ? resolve() : reject(result.error));
      this.send(conn, "commit", "commit", settle, () => this.flush(conn, writes));
    });
  }

  /** Sends ROLLBACK (a broken connection, or an ended transaction, needs none). */
  rollback(conn: Connection): Promise<void> {
    if (conn.broken || conn.tx.state !== "open") return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.send(
        conn,
        "statement",
        "rollback",
        () => resolve(),
        () => {
          this.server.end(conn.tx, "rolled back", "the client rolled back");
          this.reply(conn, { ok: true, value: undefined });
        },
      );
    });
  }

  /** COMMIT arrived: an injected abort, or the log flush, then the commit point and the reply. */
  private flush(conn: Connection, writes: readonly RowWrite[]): void {
    const { tx, nodeId } = conn;
    if (this.takeCommitFault(nodeId, "abort")) {
      this.server.end(tx, "rolled back", "serialization failure (injected)");
      this.reply(conn, { ok: false, error: new TransactionConflict("serialization failure") });
      return;
    }
    this.server.startCommit(tx, writes);
    this.world.scheduler.after(drawLatency(this.profile.commitMs, this.rng), null, `db ${tx.label} flush`, () => {
      if (tx.state !== "committing") return;
      this.server.applyCommit(tx);
      if (this.takeCommitFault(nodeId, "lose reply"))
        this.breakClientSide(conn, "the connection broke before the reply");
      else this.reply(conn, { ok: true, value: undefined }, "commit");
    });
  }

  /** Puts a message on the wire (or fails the call, if the connection is broken or cut off). */
  private send(
    conn: Connection,
    kind: PendingCall["kind"],
    what: string,
    settle: PendingCall["settle"],
    arrive: () => void,
  ): void {
    // A dead process's calls never settle, as everything else it waits for.
    if (!conn.client.alive()) return;
    conn.pending = { kind, settle };
    if (conn.broken || !this.reachable(conn.nodeId)) {
      this.breakClientSide(conn, conn.broken ? "the connection is broken" : "the database is unreachable");
      return;
    }
    conn.inTransit = kind === "commit" ? "commit" : "statement";
    const label = `db ${conn.tx.label} ${what}`;
    this.world.scheduler.after(this.oneWayMs(), null, label, () => {
      conn.inTransit = "none";
      // A transaction the server already ended (its client died or its connection broke) takes
      // no more statements; a commit that got through before that is handled where it ended.
      if (conn.tx.state !== "open") return;
      // Sent before a cut or a restart, it is lost, unless it is a commit that got through (sever).
      if (!conn.broken && !this.reachable(conn.nodeId)) {
        this.sever(conn, "the database is unreachable", false);
        return;
      }
      if (!conn.client.alive() && kind !== "commit") {
        this.server.end(conn.tx, "rolled back", "the client crashed");
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
  private reply(conn: Connection, result: StatementResult<unknown>, wrote: string | null = null): void {
    const call = conn.pending;
    if (call === null || conn.broken) return;
    const { nodeId, tx } = conn;
    this.world.scheduler.after(this.oneWayMs(), nodeId, `db ${tx.label} reply`, () => {
      if (!conn.client.alive() || conn.pending !== call || conn.broken) return;
      conn.pending = null;
      const settle = (): void => call.settle(result.ok ? { ok: true, value: structuredClone(result.value) } : result);
      const gap = wrote === null ? null : { boundary: "db" as const, what: `${wrote} (${tx.label})` };
      hearBack(this.world, conn.client.node, gap, `db ${tx.label} reply`, settle);
    });
  }

  /**
   * The client learns, `brokenConnectionMs` later, that its connection is gone. A COMMIT waiting
   * for its reply cannot tell whether the server got it: `CommitOutcomeUnknown`.
   */
  private breakClientSide(conn: Connection, why: string): void {
    conn.broken = true;
    const call = conn.pending;
    if (call === null) return;
    this.world.scheduler.after(this.profile.brokenConnectionMs, conn.nodeId, `db ${conn.tx.label} broken`, () => {
      if (!conn.client.alive() || conn.pending !== call) return;
      conn.pending = null;
      call.settle({
        ok: false,
        error: call.kind === "commit" ? new CommitOutcomeUnknown(why) : new ConnectionLost(why),
      });
    });
  }

  /**
   * Breaks a connection: the server rolls its transaction back (unless a commit of it got through:
   * when `commitMayArrive`, a commit on its way does with even odds), and the client hears of it.
   */
  private sever(conn: Connection, why: string, commitMayArrive = true): void {
    this.breakClientSide(conn, why);
    const { tx } = conn;
    if (tx.ended || tx.state === "committing") return;
    if (conn.inTransit === "commit" && commitMayArrive && this.rng.chance(0.5)) return;
    this.server.end(tx, "rolled back", why);
  }

  /** The connections whose transaction has not ended, in the order they began. */
  private live(): Connection[] {
    for (const conn of this.connections) if (conn.tx.ended) this.connections.delete(conn);
    return [...this.connections];
  }

  private watch(node: SimNode<unknown>): void {
    if (this.watched.has(node.id)) return;
    this.watched.add(node.id);
    node.onDeath((incarnation) => {
      for (const conn of this.live()) {
        if (conn.nodeId !== node.id || conn.client.incarnation !== incarnation) continue;
        // Bytes sent before the crash still arrive: a statement on its way ends the transaction
        // when it lands (see send), a commit on its way or being flushed still commits.
        if (conn.tx.state === "open" && conn.inTransit === "none") {
          this.server.end(conn.tx, "rolled back", "the client crashed");
        }
      }
    });
  }

  /** The server, for the driver's statements. */
  get statements(): DbServer {
    return this.server;
  }
}

/** The driver `runTransaction` uses: each statement is a call to the server. */
class SimDriver implements TransactionDriver {
  constructor(
    private readonly db: SimDatabase,
    private readonly conn: Connection,
  ) {}

  get(table: string, key: string, forUpdate: boolean): Promise<JsonValue | undefined> {
    const { tx } = this.conn;
    return this.db.statement(this.conn, `${forUpdate ? "getForUpdate" : "get"} ${table}/${key}`, () =>
      this.db.statements.get(tx, table, key, forUpdate),
    );
  }

  insert(table: string, key: string, row: JsonValue, ifAbsent: boolean): Promise<boolean> {
    const { tx } = this.conn;
    return this.db.statement(
      this.conn,
      `${ifAbsent ? "insertIfAbsent" : "insert"} ${table}/${key}`,
      () => this.db.statements.insert(tx, table, key, row, ifAbsent),
      (inserted) => inserted,
    );
  }

  put(table: string, key: string, row: JsonValue): Promise<void> {
    const { tx } = this.conn;
    return this.db.statement(
      this.conn,
      `put ${table}/${key}`,
      () => this.db.statements.put(tx, table, key, row),
      () => true,
    );
  }

  delete(table: string, key: string): Promise<boolean> {
    const { tx } = this.conn;
    return this.db.statement(
      this.conn,
      `delete ${table}/${key}`,
      () => this.db.statements.delete(tx, table, key),
      (deleted) => deleted,
    );
  }

  scan(table: string, prefix: string | undefined, limit: number | undefined): Promise<ScannedRow[]> {
    const { tx } = this.conn;
    return this.db.statement(this.conn, `scan ${table}`, () => this.db.statements.scan(tx, table, prefix, limit));
  }

  commit(writes: readonly RowWrite[]): Promise<void> {
    return this.db.commit(this.conn, writes);
  }

  rollback(): Promise<void> {
    return this.db.rollback(this.conn);
  }
}
