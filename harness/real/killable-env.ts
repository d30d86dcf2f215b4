/**
 * A real environment that can die: one incarnation of a process, as `harness/env.ts` describes a
 * crashed one. After `kill()`:
 * - the clock: every timer, interval and sleep it started is cancelled (a sleep never ends), and
 *   new ones are never scheduled;
 * - the network: the node leaves (`RealNetwork.leave`): it sends and hears nothing more, and its
 *   pending requests never settle;
 * - the disk: calls never settle, and later calls never start; calls already started finish on
 *   the real file system (the page cache belongs to the machine, so a crash loses none of them),
 *   then the disk's file handles are closed, as the process's would be.
 * Randomness and the logger go on working: a zombie can compute, but nothing it does reaches the
 * world.
 */
import pino, { type Logger } from "pino";
import { type Clock, type Disk, diskThrough, type Env, type Timer } from "../env.ts";
import { RealDisk } from "./disk.ts";
import { realClock, realRng } from "./env.ts";
import type { RealNetwork } from "./net.ts";

const NO_TIMER: Timer = { cancel: () => undefined };

/** The real clock, with every timer this incarnation started cancelled at its death. */
export class KillableClock implements Clock {
  private readonly timers = new Set<Timer>();
  private dead = false;

  now(): number {
    return realClock.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.setTimer(ms, resolve);
    });
  }

  setTimer(ms: number, fn: () => void): Timer {
    return this.track((done) =>
      realClock.setTimer(ms, () => {
        done();
        fn();
      }),
    );
  }

  setInterval(ms: number, fn: () => void): Timer {
    return this.track(() => realClock.setInterval(ms, fn));
  }

  /** How many timers and intervals are still scheduled (for tests). */
  get scheduled(): number {
    return this.timers.size;
  }

  kill(): void {
    this.dead = true;
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
  }

  private track(start: (done: () => void) => Timer): Timer {
    if (this.dead) return NO_TIMER;
    let timer: Timer = NO_TIMER;
    const done = (): void => {
      this.timers.delete(timer);
    };
    timer = start(done);
    this.timers.add(timer);
    return {
      cancel: () => {
        timer.cancel();
        done();
      },
    };
  }
}

/** A disk (`disk`) whose calls never settle once `kill` was called, and which then closes its files. */
export class KillableDisk {
  private dead = false;
  private running = 0;
  private closing = false;
  private onClosed: () => void = () => undefined;
  private readonly closed = new Promise<void>((resolve) => {
    this.onClosed = resolve;
  });

  /** The disk the incarnation's env hands out. */
  readonly disk: Disk;

  constructor(private readonly real: RealDisk) {
    this.disk = diskThrough(real, (call) => this.op(call));
  }

  /** Silences the disk; the returned promise resolves once its file handles are closed. */
  kill(): Promise<void> {
    this.dead = true;
    this.closeWhenIdle();
    return this.closed;
  }

  private op<T>(start: () => Promise<T>): Promise<T> {
    if (this.dead) return new Promise<T>(() => {});
    this.running++;
    let started: Promise<T>;
    try {
      started = start();
    } catch (error) {
      started = Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      started.then(
        (value) => {
          this.finished();
          if (!this.dead) resolve(value);
        },
        (error: unknown) => {
          this.finished();
          if (!this.dead) reject(error);
        },
      );
    });
  }

  private finished(): void {
    this.running--;
    if (this.dead) this.closeWhenIdle();
  }

  // A call still running may open a file handle: close only once none runs, so that none leaks.
  private closeWhenIdle(): void {
    if (this.running > 0 || this.closing) return;
    this.closing = true;
    this.real.close().then(this.onClosed, this.onClosed);
  }
}

export interface KillableEnvOptions {
  nodeId: string;
  /** Counts from 1; the caller keeps the count across restarts. */
  incarnation: number;
  /** The machine's data directory (must exist): it outlives the incarnation. */
  dataDir: string;
  network: RealNetwork;
  logger?: Logger;
}

/** One incarnation's environment and the switch that kills it. */
export interface KillableEnv {
  readonly env: Env;
  readonly clock: KillableClock;
  readonly alive: boolean;
  /** Kills the incarnation (see the header). Calling it again does nothing. */
  kill(): void;
  /** Resolves once the dead incarnation's file handles are closed (never while it lives). */
  readonly filesClosed: Promise<void>;
}

/** Joins the network and builds the incarnation's `Env`. */
export function createKillableEnv(options: KillableEnvOptions): KillableEnv {
  const clock = new KillableClock();
  const killable = new KillableDisk(new RealDisk(options.dataDir));
  const net = options.network.join(options.nodeId);
  const logger = options.logger ?? pino({ level: "silent" });
  let alive = true;
  let filesClosed: Promise<void> | undefined;
  return {
    env: {
      nodeId: options.nodeId,
      incarnation: options.incarnation,
      clock,
      rng: realRng,
      disk: killable.disk,
      net,
      log: logger.child({ node: options.nodeId, inc: options.incarnation }),
    },
    clock,
    get alive() {
      return alive;
    },
    kill() {
      if (!alive) return;
      alive = false;
      clock.kill();
      options.network.leave(options.nodeId);
      filesClosed = killable.kill();
    },
    get filesClosed() {
      return filesClosed ?? new Promise<void>(() => {});
    },
  };
}
