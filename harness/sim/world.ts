/**
 * The simulated world: one scheduler, one network, machines, and everything that watches them.
 *
 * A test builds a world from a seed, adds nodes (each with a boot function that builds the lab's
 * program from an `Env`), and runs a workload: harness code that calls into the nodes, sleeps in
 * simulated time, and injects faults. The world records a trace of everything that happened and
 * collects the errors lab code raised where nobody could catch them (timers, handlers, rejected
 * promises nobody awaited, calls to the real clock). Any such error ends the run.
 */
import pino, { type Logger } from "pino";
import { type DiskProfile, defaultDiskProfile } from "./disk.ts";
import { installGuard } from "./guard.ts";
import { HarnessInvariantError } from "./invariant.ts";
import { defaultNetProfile, type NetProfile, type Packet, SimNetwork } from "./net.ts";
import { type Boot, SimNode } from "./node.ts";
import { SimRng } from "./rng.ts";
import { defaultRunLimits, drainMicrotasks, type RunEnd, type RunLimits, Scheduler } from "./scheduler.ts";
import { Trace, type TraceRecorder } from "./trace.ts";

export interface WorldOptions {
  seed: number;
  disk?: Partial<DiskProfile>;
  net?: Partial<NetProfile>;
  /** Keep the trace's lines (for replays), not only its hash. */
  keepTrace?: boolean;
  /** Level of the lab code's pino logs; they go into the trace. Default "silent". */
  logLevel?: pino.Level | "silent";
  /** Absolute folders whose code must not use the real clock or randomness. */
  guardRoots?: readonly string[];
  /** Sees every trace line as it is recorded (a grading worker's flight recorder). */
  recorder?: TraceRecorder;
  /** Called after every event while the run goes on (a grading worker's heartbeat). */
  onProgress?: () => void;
}

/** An error raised by lab code where no caller could catch it. */
export interface LabError {
  error: unknown;
  where: string;
  atMs: number;
  /** It rejected a promise nobody awaited (the verdict reads which one from its stack). */
  unawaited: boolean;
}

export interface WorldRunResult<T> {
  /** Why the scheduler stopped. `done` means the workload finished or a lab error ended the run. */
  end: RunEnd;
  /** The workload's result, if it finished. */
  outcome: { kind: "ok"; value: T } | { kind: "error"; error: unknown } | null;
  labErrors: readonly LabError[];
  simMs: number;
  events: number;
  traceDigest: string;
}

export class World {
  readonly scheduler: Scheduler;
  readonly rootRng: SimRng;
  readonly network: SimNetwork;
  readonly trace: Trace;
  readonly logger: Logger;
  readonly diskProfile: DiskProfile;
  readonly labErrors: LabError[] = [];
  private readonly nodes = new Map<string, SimNode<unknown>>();

  constructor(readonly options: WorldOptions) {
    this.scheduler = new Scheduler((error, event) => this.reportLabError(error, `an event (${event.label})`));
    this.rootRng = new SimRng(options.seed >>> 0);
    this.trace = new Trace({ keepLines: options.keepTrace ?? false, recorder: options.recorder });
    this.diskProfile = { ...defaultDiskProfile, ...options.disk };
    this.network = new SimNetwork({ ...defaultNetProfile, ...options.net }, this.rootRng.fork("net"), {
      nowMs: () => this.scheduler.nowMs,
      scheduleDelivery: (delayMs, to, fn) => {
        this.scheduler.after(delayMs, to, "deliver", fn);
      },
      deliver: (from: string, to: string, packet: Packet, sentAtMs: number) => this.deliver(from, to, packet, sentAtMs),
      trace: (node, kind, detail, link) => this.trace.record(this.scheduler.nowMs, node, kind, detail, link),
    });
    const level = options.logLevel ?? "silent";
    this.logger = pino(
      {
        level,
        base: undefined,
        timestamp: () => `,"simMs":${this.scheduler.nowMs.toFixed(3)}`,
      },
      { write: (line: string) => this.trace.recordLog(line.trimEnd(), this.scheduler.nowMs) },
    );
  }

  /** Simulated milliseconds since the run began (true time, not any node's clock). */
  get nowMs(): number {
    return this.scheduler.nowMs;
  }

  addNode<TApi>(id: string, boot: Boot<TApi>): SimNode<TApi> {
    if (this.nodes.has(id)) throw new Error(`node ${id} already exists`);
    const node = new SimNode<TApi>(id, boot, this);
    this.nodes.set(id, node as SimNode<unknown>);
    return node;
  }

  node(id: string): SimNode<unknown> {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Waits `ms` of true simulated time (for workloads and fault plans, not lab code). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.scheduler.after(ms, null, "sleep", resolve);
    });
  }

  /** Runs `fn` at true simulated time `atMs` (for fault plans). */
  at(atMs: number, label: string, fn: () => void): void {
    this.scheduler.at(atMs, null, label, fn);
  }

  /**
   * Hands a packet to a live node, tracing it first (so that what the receiver does comes after it
   * in the trace) with the kind of message it carries: a run that spins shows what it spins on.
   */
  private deliver(from: string, to: string, packet: Packet, sentAtMs: number): boolean {
    const node = this.nodes.get(to);
    if (node === undefined || !node.isUp) return false;
    this.trace.record(this.scheduler.nowMs, to, "net", describeDelivery(from, packet), {
      from,
      to,
      sentAtMs,
      fate: "delivered",
    });
    return node.deliver(from, packet);
  }

  traceEvent(node: string, kind: string, detail: string): void {
    this.trace.record(this.scheduler.nowMs, node, kind, detail);
  }

  reportLabError(error: unknown, where: string, unawaited = false): void {
    // The harness's own bug must not pass for the learner's: let it end the grade loudly.
    if (error instanceof HarnessInvariantError) throw error;
    this.labErrors.push({ error, where, atMs: this.scheduler.nowMs, unawaited });
    this.traceEvent("-", "error", `${where}: ${error instanceof Error ? error.message : String(error)}`);
  }

  /**
   * Runs `main` (the workload) to completion in simulated time, with the determinism guard on.
   * Stops early when lab code raises an uncatchable error or a limit is hit.
   */
  async run<T>(main: () => Promise<T>, limits: RunLimits = defaultRunLimits): Promise<WorldRunResult<T>> {
    const uninstallGuard = installGuard({
      roots: this.options.guardRoots ?? [],
      onViolation: (violation) => this.reportLabError(violation, "lab code"),
    });
    const savedListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    const onRejection = (reason: unknown): void => this.reportLabError(reason, "a promise nobody awaited", true);
    process.on("unhandledRejection", onRejection);
    let outcome: WorldRunResult<T>["outcome"] = null;
    let end: RunEnd;
    try {
      main().then(
        (value) => {
          outcome = { kind: "ok", value };
        },
        (error: unknown) => {
          outcome = { kind: "error", error };
        },
      );
      const isDone = () => outcome !== null || this.labErrors.length > 0;
      end = await this.scheduler.run(isDone, limits, this.options.onProgress);
      // Let a rejection from the last event reach the listener before it is removed.
      await drainMicrotasks();
    } finally {
      process.removeListener("unhandledRejection", onRejection);
      for (const listener of savedListeners) process.on("unhandledRejection", listener);
      uninstallGuard();
    }
    return {
      end,
      outcome,
      labErrors: this.labErrors,
      simMs: this.scheduler.nowMs,
      events: this.scheduler.eventsRun,
      traceDigest: this.trace.digest(),
    };
  }
}

/** `reply #12 from broker: outOfOrder`: a delivered packet, with its body's `type` or `kind`. */
function describeDelivery(from: string, packet: Packet): string {
  const what = packet.kind === "oneway" ? "message" : `${packet.kind} #${packet.rpcId}`;
  const body = packet.body as { type?: unknown; kind?: unknown } | null;
  const tag = typeof body !== "object" || body === null ? undefined : (body.type ?? body.kind);
  return typeof tag === "string" ? `${what} from ${from}: ${tag}` : `${what} from ${from}`;
}
