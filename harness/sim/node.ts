/**
 * A simulated machine and the incarnations of the program that runs on it.
 *
 * The machine (`SimNode`) owns what outlives a process: its disk and its clock. Each start creates
 * an `Incarnation` with a fresh `Env`; a crash kills it, and from then on it is a zombie: every
 * event it scheduled is dropped, so its pending promises never settle, and nothing it still tries
 * to do reaches the world. Calls into the program from the workload (`invoke`) that were in flight
 * at the crash complete as `crashed`: their outcome is unknown.
 */
import type { Logger } from "pino";
import type { Env, MessageHandler, Net, RequestHandler, RequestOutcome } from "../env.ts";
import { MachineClock, SimClock } from "./clock.ts";
import { type DiskProfile, type DiskQueues, type DiskStats, emptyDiskStats, SimDisk } from "./disk.ts";
import { DiskModel, type PowerLossReport } from "./disk-model.ts";
import type { Packet, SimNetwork } from "./net.ts";
import type { SimRng } from "./rng.ts";
import type { Scheduler } from "./scheduler.ts";

/** How a call into a node's program ended. */
export type InvokeOutcome<T> =
  /** It returned. */
  | { kind: "ok"; value: T }
  /** It threw or rejected. */
  | { kind: "error"; error: unknown }
  /** The incarnation died first (a crash or a power loss): the call may or may not have taken effect. */
  | { kind: "crashed"; reason: "crash" | "power loss" }
  /** The node was not running: the call never reached it. */
  | { kind: "down" };

/**
 * The gaps a fault can be aimed at: right after a call that changes the disk, a message sent, or
 * a business-database call that changes something (a write or a commit, harness/sim/db.ts).
 */
export type Boundary = "disk" | "send" | "db" | "redis";

/** A fault aimed at a gap: it fires right after the node's next `remaining` calls of one kind. */
interface Trip {
  boundary: Boundary;
  remaining: number;
  fire(label: string): void;
}

/** Starts a node's program: builds its API object from the environment (and may recover first). */
export type Boot<TApi> = (env: Env) => TApi | Promise<TApi>;

/** What a node needs from its world. */
export interface NodeHost {
  readonly scheduler: Scheduler;
  readonly network: SimNetwork;
  readonly rootRng: SimRng;
  readonly logger: Logger;
  readonly diskProfile: DiskProfile;
  traceEvent(node: string, kind: string, detail: string): void;
  reportLabError(error: unknown, where: string): void;
}

export class Incarnation<TApi> {
  alive = true;
  api: TApi | undefined;
  bootError: unknown = undefined;
  booted = false;
  messageHandler: MessageHandler | undefined;
  requestHandler: RequestHandler | undefined;
  readonly pendingRpcs = new Map<number, (reply: unknown) => void>();
  readonly pendingInvokes = new Set<(outcome: InvokeOutcome<never>) => void>();
  readonly readyWaiters: Array<() => void> = [];
  nextRpcId = 1;

  constructor(readonly number: number) {}
}

export class SimNode<TApi = unknown> {
  readonly disk = new DiskModel();
  readonly clock = new MachineClock();
  incarnation: Incarnation<TApi> | null = null;
  /** Every death of an incarnation, in order: when, which, and how (for workloads and checkers). */
  readonly deaths: Array<{ atMs: number; incarnation: number; reason: "crash" | "power loss" }> = [];
  private incarnations = 0;
  private readonly diskQueues: DiskQueues = { ioFreeAtMs: 0, flushFreeAtMs: 0, stats: emptyDiskStats() };
  private readonly powerRng: SimRng;
  private readonly trips: Trip[] = [];
  private readonly deathListeners: Array<(incarnation: number, reason: "crash" | "power loss") => void> = [];

  constructor(
    readonly id: string,
    private readonly boot: Boot<TApi>,
    private readonly host: NodeHost,
  ) {
    this.powerRng = host.rootRng.fork(`power:${id}`);
  }

  /** What this node's disk was asked to do so far, over all its incarnations. */
  get diskStats(): Readonly<DiskStats> {
    return this.diskQueues.stats;
  }

  get isUp(): boolean {
    return this.incarnation?.alive === true;
  }

  get isPaused(): boolean {
    return this.host.scheduler.isPaused(this.id);
  }

  /** Starts a new incarnation. Resolves when its boot function has returned (or it crashed). */
  start(): Promise<InvokeOutcome<void>> {
    if (this.isUp) return Promise.resolve({ kind: "error", error: new Error(`${this.id} is already running`) });
    const inc = new Incarnation<TApi>(++this.incarnations);
    this.incarnation = inc;
    this.host.traceEvent(this.id, "node", `start (incarnation ${inc.number})`);
    const env = this.makeEnv(inc);
    return new Promise((resolve) => {
      const settle = (outcome: InvokeOutcome<void>): void => {
        if (inc.pendingInvokes.delete(settle)) resolve(outcome);
      };
      inc.pendingInvokes.add(settle);
      this.scheduleFor(inc, this.host.scheduler.nowMs, "boot", () => {
        Promise.resolve()
          .then(() => this.boot(env))
          .then(
            (api) => {
              inc.api = api;
              inc.booted = true;
              for (const wake of inc.readyWaiters.splice(0)) wake();
              settle({ kind: "ok", value: undefined });
            },
            (error: unknown) => {
              inc.bootError = error;
              inc.booted = true;
              for (const wake of inc.readyWaiters.splice(0)) wake();
              settle({ kind: "error", error });
            },
          );
      });
    });
  }

  /**
   * Calls into the running program, as a client in the same process would. The call is an event of
   * this node, so it waits while the node is paused, and it waits for boot to finish.
   */
  invoke<T>(call: (api: TApi) => T | Promise<T>): Promise<InvokeOutcome<Awaited<T>>> {
    const inc = this.incarnation;
    if (inc === null || !inc.alive) return Promise.resolve({ kind: "down" });
    return new Promise((resolve) => {
      // `crash` settles every pending invoke with `crashed`; a late answer is then ignored.
      const onCrash = (outcome: InvokeOutcome<never>): void => resolve(outcome);
      inc.pendingInvokes.add(onCrash);
      const finish = (outcome: InvokeOutcome<Awaited<T>>): void => {
        if (inc.pendingInvokes.delete(onCrash)) resolve(outcome);
      };
      this.scheduleFor(inc, this.host.scheduler.nowMs, "invoke", () => {
        const run = (): void => {
          // A process that failed to start never served the call: to the caller it was down.
          if (inc.bootError !== undefined) {
            finish({ kind: "down" });
            return;
          }
          Promise.resolve()
            .then(() => call(inc.api as TApi))
            .then(
              (value) => finish({ kind: "ok", value: value as Awaited<T> }),
              (error: unknown) => finish({ kind: "error", error }),
            );
        };
        if (inc.booted) run();
        else inc.readyWaiters.push(run);
      });
    });
  }

  /** Kills the running incarnation. Unsynced writes stay in the page cache. */
  crash(reason: "crash" | "power loss" = "crash"): void {
    const inc = this.incarnation;
    if (inc === null || !inc.alive) return;
    inc.alive = false;
    this.deaths.push({ atMs: this.host.scheduler.nowMs, incarnation: inc.number, reason });
    this.host.scheduler.dropOwner(this.id);
    this.host.scheduler.resume(this.id);
    this.diskQueues.ioFreeAtMs = this.host.scheduler.nowMs;
    this.diskQueues.flushFreeAtMs = this.host.scheduler.nowMs;
    this.host.traceEvent(this.id, "node", `${reason} (incarnation ${inc.number} is dead)`);
    for (const settle of [...inc.pendingInvokes]) settle({ kind: "crashed", reason });
    inc.pendingInvokes.clear();
    inc.pendingRpcs.clear();
    for (const listener of this.deathListeners) listener(inc.number, reason);
  }

  /**
   * Calls `listener` each time an incarnation dies, right after it died: what lives outside the
   * machine and holds the process's connections (the business database) ends them then.
   */
  onDeath(listener: (incarnation: number, reason: "crash" | "power loss") => void): void {
    this.deathListeners.push(listener);
  }

  /** The machine loses power: the process dies and the disk keeps only what it must. */
  powerLoss(): PowerLossReport {
    this.crash("power loss");
    const report = this.disk.powerLoss(this.powerRng);
    this.host.traceEvent(
      this.id,
      "disk",
      `power loss: directory changes kept ${report.journalKept}, lost ${report.journalLost}; ` +
        `writes kept ${report.writesKept}, lost ${report.writesLost}, torn ${report.writesTorn}; ` +
        `truncates kept ${report.truncatesKept}, lost ${report.truncatesLost}` +
        (report.reordered ? ", applied out of order" : ""),
    );
    return report;
  }

  pause(): void {
    this.host.scheduler.pause(this.id);
    this.host.traceEvent(this.id, "node", "pause");
  }

  resume(): void {
    this.host.scheduler.resume(this.id);
    this.host.traceEvent(this.id, "node", "resume");
  }

  skewClock(deltaMs: number): void {
    this.clock.skew(this.host.scheduler.nowMs, deltaMs);
    this.host.traceEvent(this.id, "clock", `skew ${deltaMs >= 0 ? "+" : ""}${deltaMs}ms`);
  }

  setClockDrift(ppm: number): void {
    this.clock.setDrift(this.host.scheduler.nowMs, ppm);
    this.host.traceEvent(this.id, "clock", `drift ${ppm}ppm`);
  }

  /**
   * Arms a fault at a gap: `fire` runs right after the node's `count`-th disk change (write,
   * truncate, fsync, create, rename, ...) or message sent from now on, before the code that made
   * that call goes on. `fire` may crash, cut the power of, or pause the node.
   */
  armTrip(boundary: Boundary, count: number, fire: (label: string) => void): { disarm(): void } {
    const trip: Trip = { boundary, remaining: count, fire };
    this.trips.push(trip);
    return {
      disarm: () => {
        const at = this.trips.indexOf(trip);
        if (at >= 0) this.trips.splice(at, 1);
      },
    };
  }

  /**
   * Counts one call at a boundary, fires the trips it completes, and says what became of the
   * caller. The business database's and Redis's models call it too (boundaries "db" and "redis"), as their
   * replies arrive.
   */
  passBoundary(boundary: Boundary, label: string): "goOn" | "dead" | "paused" {
    for (const trip of [...this.trips]) {
      if (trip.boundary !== boundary || --trip.remaining > 0) continue;
      this.trips.splice(this.trips.indexOf(trip), 1);
      trip.fire(label);
    }
    return !this.isUp ? "dead" : this.isPaused ? "paused" : "goOn";
  }

  /** Hands a network packet to the live incarnation. False if there is none. */
  deliver(from: string, packet: Packet): boolean {
    const inc = this.incarnation;
    if (inc === null || !inc.alive) return false;
    if (packet.kind === "reply") {
      if (packet.toIncarnation === inc.number) inc.pendingRpcs.get(packet.rpcId)?.(packet.body);
      return true;
    }
    if (packet.kind === "oneway") {
      const handler = inc.messageHandler;
      if (handler) this.runLabCallback(inc, "a message handler", () => handler(from, packet.body));
      return true;
    }
    const handler = inc.requestHandler;
    if (handler === undefined) {
      this.host.traceEvent(this.id, "net", `request #${packet.rpcId} from ${from} ignored: no request handler`);
      return true;
    }
    Promise.resolve()
      .then(() => handler(from, packet.body))
      .then(
        (reply) => {
          if (!inc.alive) return;
          this.host.network.transmit(this.id, from, {
            kind: "reply",
            rpcId: packet.rpcId,
            toIncarnation: packet.fromIncarnation,
            body: reply,
          });
          this.passBoundary("send", `reply to ${from}`);
        },
        (error: unknown) => {
          if (inc.alive) this.host.reportLabError(error, `the request handler of ${this.id}`);
        },
      );
    return true;
  }

  private scheduleFor(inc: Incarnation<TApi>, atMs: number, label: string, fn: () => void): { cancel(): void } {
    const event = this.host.scheduler.at(atMs, this.id, label, () => {
      if (inc.alive) fn();
    });
    return { cancel: () => this.host.scheduler.cancel(event) };
  }

  private runLabCallback(inc: Incarnation<TApi>, where: string, fn: () => unknown): void {
    const report = (error: unknown): void => {
      if (inc.alive) this.host.reportLabError(error, `${where} on ${this.id}`);
    };
    try {
      const result = fn();
      if (isThenable(result)) result.then(undefined, report);
    } catch (error) {
      report(error);
    }
  }

  private makeEnv(inc: Incarnation<TApi>): Env {
    const host = this.host;
    const tag = `${this.id}#${inc.number}`;
    const clock = new SimClock(this.clock, {
      trueNowMs: () => host.scheduler.nowMs,
      afterForIncarnation: (delayMs, label, fn) => this.scheduleFor(inc, host.scheduler.nowMs + delayMs, label, fn),
      runLabCallback: (where, fn) => this.runLabCallback(inc, where, fn),
    });
    const disk = new SimDisk(this.disk, this.diskQueues, host.diskProfile, host.rootRng.fork(`disk:${tag}`), {
      nowMs: () => host.scheduler.nowMs,
      scheduleForIncarnation: (atMs, label, fn) => {
        this.scheduleFor(inc, atMs, label, fn);
      },
      trace: (kind, detail) => host.traceEvent(this.id, kind, detail),
      afterChange: (label) => this.passBoundary("disk", label),
    });
    return {
      nodeId: this.id,
      incarnation: inc.number,
      clock,
      rng: host.rootRng.fork(`env:${tag}`),
      disk,
      net: this.makeNet(inc, clock),
      log: host.logger.child({ node: this.id, inc: inc.number }),
    };
  }

  private makeNet(inc: Incarnation<TApi>, clock: SimClock): Net {
    const host = this.host;
    const id = this.id;
    return {
      send: (to, message) => {
        if (!inc.alive) return;
        host.network.transmit(id, to, { kind: "oneway", body: message });
        this.passBoundary("send", `message to ${to}`);
      },
      request: <TReply>(to: string, body: unknown, options: { timeoutMs: number }) => {
        if (!inc.alive) return new Promise<RequestOutcome<TReply>>(() => {});
        return new Promise<RequestOutcome<TReply>>((resolve) => {
          const rpcId = inc.nextRpcId++;
          const timer = clock.setTimer(options.timeoutMs, () => {
            if (inc.pendingRpcs.delete(rpcId)) resolve({ kind: "maybe", reason: "timeout" });
          });
          inc.pendingRpcs.set(rpcId, (reply) => {
            inc.pendingRpcs.delete(rpcId);
            timer.cancel();
            resolve({ kind: "ok", reply: reply as TReply });
          });
          host.network.transmit(id, to, { kind: "request", rpcId, fromIncarnation: inc.number, body });
          this.passBoundary("send", `request to ${to}`);
        });
      },
      onMessage: (handler) => {
        inc.messageHandler = handler;
      },
      onRequest: (handler) => {
        inc.requestHandler = handler;
      },
    };
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
