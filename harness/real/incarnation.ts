/**
 * A real machine and the incarnations of the process on it: the real-time counterpart of
 * `harness/sim/node.ts`, for parts that run lab code against a real database.
 *
 * The machine (`RealNode`) keeps what outlives a process: its id, its data directory, its place on
 * one `RealNetwork`, and the business database it connects to. Each `start` makes a
 * `RealIncarnation`: a `KillableEnv` (killable-env.ts) and a `RealConnection` of its own. `kill`
 * is a crash: the connection closes (the server rolls back the open transactions, the pending
 * calls never settle), every timer is cancelled, and the node leaves the network. A restart is a
 * new incarnation: it joins again and connects again.
 *
 * A kill can be aimed at an exact step (`KillPoint`, with the wrappers of kill-points.ts), or at
 * the moment any promise resolves (`killAfter`).
 */
import type { Logger } from "pino";
import type { Database } from "../db.ts";
import type { Env } from "../env.ts";
import type { InvokeOutcome } from "../sim/node.ts";
import type { RealConnection, RealDatabase } from "./db.ts";
import { killAfterCommit, killAfterResolve, killAtSend, type RequestFilter } from "./kill-points.ts";
import { createKillableEnv, type KillableEnv } from "./killable-env.ts";
import type { RealNetwork } from "./net.ts";

export type { InvokeOutcome };

/** Where to kill an incarnation, counted from its start. */
export type KillPoint =
  /** Right after its n-th request (of those `which` accepts) was sent. */
  | { kind: "atSend"; n: number; which?: RequestFilter }
  /** When its n-th committed transaction's promise resolves, before its caller goes on. */
  | { kind: "afterCommit"; n: number };

export interface RealNodeOptions {
  nodeId: string;
  network: RealNetwork;
  /** The machine's data directory (must exist): every incarnation's disk. */
  dataDir: string;
  /** Each incarnation connects to it, as client `nodeId`. */
  database: RealDatabase;
  logger?: Logger;
}

export interface StartOptions {
  killAt?: KillPoint;
}

/** One run of the process: its environment, its database connection, and how it dies. */
export class RealIncarnation {
  readonly env: Env;
  /** The process's business database (wrapped by an `afterCommit` kill point if one was asked). */
  readonly db: Database;
  /** Resolves when this incarnation dies. */
  readonly died: Promise<void>;
  private readonly killable: KillableEnv;
  private readonly connection: RealConnection;
  private markDead: () => void = () => undefined;

  constructor(
    readonly number: number,
    options: RealNodeOptions,
    killAt: KillPoint | undefined,
    private readonly onDeath: (incarnation: RealIncarnation) => void,
  ) {
    this.died = new Promise<void>((resolve) => {
      this.markDead = resolve;
    });
    this.killable = createKillableEnv({ ...options, incarnation: number });
    this.connection = options.database.connect(options.nodeId);
    const kill = () => this.kill();
    const { env } = this.killable;
    this.env = killAt?.kind === "atSend" ? { ...env, net: killAtSend(env.net, killAt.n, kill, killAt.which) } : env;
    this.db = killAt?.kind === "afterCommit" ? killAfterCommit(this.connection, killAt.n, kill) : this.connection;
  }

  get alive(): boolean {
    return this.killable.alive;
  }

  /** Resolves once a dead incarnation's files are closed. */
  get filesClosed(): Promise<void> {
    return this.killable.filesClosed;
  }

  /** Kills the process (see the header). Calling it again does nothing. */
  kill(): void {
    if (!this.killable.alive) return;
    // The database first: the server starts rolling back while the rest is silenced.
    this.connection.kill();
    this.killable.kill();
    this.markDead();
    this.onDeath(this);
  }

  /** Kills the process right after `promise` resolves; see `killAfterResolve`. */
  killAfter<T>(promise: Promise<T>): Promise<T> {
    return killAfterResolve(promise, () => this.kill());
  }

  /**
   * Calls into the process, as a client in the same process would: `crashed` if it dies before
   * the call returns (its outcome is then unknown), `down` if it was dead already.
   */
  call<T>(fn: () => T | Promise<T>): Promise<InvokeOutcome<Awaited<T>>> {
    if (!this.alive) return Promise.resolve({ kind: "down" });
    return new Promise((resolve) => {
      void this.died.then(() => resolve({ kind: "crashed", reason: "crash" }));
      Promise.resolve()
        .then(fn)
        .then(
          (value) => {
            if (this.alive) resolve({ kind: "ok", value: value as Awaited<T> });
          },
          (error: unknown) => {
            if (this.alive) resolve({ kind: "error", error });
          },
        );
    });
  }
}

/** A real machine whose process can be started, killed and restarted. */
export class RealNode {
  /** The running or last incarnation; null before the first start. */
  incarnation: RealIncarnation | null = null;
  /** Every death, in order: when (wall clock) and which incarnation. */
  readonly deaths: Array<{ atMs: number; incarnation: number }> = [];
  private started = 0;

  constructor(private readonly options: RealNodeOptions) {}

  get id(): string {
    return this.options.nodeId;
  }

  get isUp(): boolean {
    return this.incarnation?.alive === true;
  }

  /** Starts a new incarnation: joins the network and connects to the database. */
  start(options: StartOptions = {}): RealIncarnation {
    if (this.isUp) throw new Error(`${this.id} is already running (incarnation ${this.incarnation?.number})`);
    const incarnation = new RealIncarnation(++this.started, this.options, options.killAt, (dead) =>
      this.deaths.push({ atMs: Date.now(), incarnation: dead.number }),
    );
    this.incarnation = incarnation;
    return incarnation;
  }

  /** Kills the running incarnation, if any. */
  kill(): void {
    this.incarnation?.kill();
  }

  /** Kills the running incarnation (if any) and waits until its files are closed: a scenario's end. */
  async stop(): Promise<void> {
    const last = this.incarnation;
    if (last === null) return;
    last.kill();
    await last.filesClosed;
  }

  /** Kills the running incarnation (if any) and starts the next. */
  restart(options: StartOptions = {}): RealIncarnation {
    this.kill();
    return this.start(options);
  }
}
