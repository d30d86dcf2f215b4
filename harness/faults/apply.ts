/**
 * Applying a fault plan to a world: one small handler per kind of fault.
 *
 * Event times count from the moment the plan is applied (a node's first boot takes a few
 * milliseconds, and a plan must not start in the past). Every fault is recorded in the history as
 * it happens, in words, so a failure report's timeline shows it where it struck.
 *
 * A crashed node is restarted by a supervisor: if it fails to start while the plan is still under
 * way (its disk may be full, its fsyncs may fail), the supervisor tries again a little later, as
 * systemd or Kubernetes would. Only a node that cannot start once every fault is over is the
 * implementation's failure. `ActiveFaults.healed()` is the moment a workload's liveness phase may
 * begin: every fault over, in the same clock the faults use, and every node they stopped running.
 */

import { isProgrammingError } from "../errors.ts";
import type { SimNode } from "../sim/node.ts";
import type { World } from "../sim/world.ts";
import { plural } from "../words.ts";
import type { History } from "../workloads/history.ts";
import { faultLimits } from "./limits.ts";
import { type AimedAt, describeAim, describeFault, type FaultEvent, type FaultPlan, planEndMs } from "./plan.ts";

/** A plan applied to a world: what is still under way, and when it is all over. */
export class ActiveFaults {
  /** True simulated time at which the plan was applied: event times count from here. */
  readonly startMs: number;
  /** True simulated time by which every event has ended (an aimed one firing as late as it may). */
  readonly endMs: number;
  /** Outages still under way: nodes down or starting, pauses, partitions, armed aims. */
  private underWay = 0;

  constructor(
    readonly world: World,
    readonly plan: FaultPlan,
    readonly history: History,
  ) {
    this.startMs = world.nowMs;
    this.endMs = this.startMs + planEndMs(plan);
  }

  /** Every fault is over and every node a fault stopped is running again. */
  isHealed(): boolean {
    return this.world.nowMs >= this.endMs && this.underWay === 0;
  }

  /** Resolves (in simulated time) once `isHealed()`. */
  async healed(): Promise<void> {
    while (!this.isHealed()) await this.world.sleep(1);
  }

  /** Marks an outage as begun; the returned function marks it over (once). */
  begin(): () => void {
    this.underWay++;
    let over = false;
    return () => {
      if (over) return;
      over = true;
      this.underWay--;
    };
  }

  /** Records a fault in the history (and so in the trace and the report's timeline). */
  note(text: string): void {
    this.history.nemesis(text);
  }

  /**
   * Starts `node` again `downMs` from now, as a supervisor would: a start that fails while the plan
   * is under way is tried again; one that fails after every fault is over is the lab's error.
   */
  restart(node: SimNode<unknown>, downMs: number): void {
    const over = this.begin();
    const attempt = (): void => {
      if (node.isUp) {
        over();
        return;
      }
      this.note(`${node.id} restarts`);
      const startedAtMs = this.world.nowMs;
      void node.start().then((outcome) => {
        if (outcome.kind !== "error") {
          over();
          return;
        }
        // A programming error is the code's own, whatever the disk did: no supervisor hides it.
        if (startedAtMs >= this.endMs || isProgrammingError(outcome.error)) {
          over();
          this.world.reportLabError(outcome.error, `restarting ${node.id}`);
          return;
        }
        node.crash();
        const retryMs = faultLimits.supervisorRetryMs;
        this.note(
          `${node.id} failed to start (${errorLine(outcome.error)}); its supervisor starts it again ${retryMs} ms later`,
        );
        this.world.at(this.world.nowMs + retryMs, `restart ${node.id}`, attempt);
      });
    };
    this.world.at(this.world.nowMs + downMs, `restart ${node.id}`, attempt);
  }
}

/** What one kind of fault does to the world when its moment comes. */
type Handler<E extends FaultEvent> = (faults: ActiveFaults, event: E, cause: string) => void;

type Handlers = { [K in FaultEvent["kind"]]: Handler<Extract<FaultEvent, { kind: K }>> };

const handlers: Handlers = {
  crash: (faults, event, cause) => stopNode(faults, event.node, "crash", event.downMs, cause),
  powerLoss: (faults, event, cause) => stopNode(faults, event.node, "powerLoss", event.downMs, cause),
  pause: (faults, event, cause) => {
    const node = faults.world.node(event.node);
    if (node.isPaused || !node.isUp) return;
    faults.note(`${event.node} pauses${cause}`);
    node.pause();
    const over = faults.begin();
    faults.world.at(faults.world.nowMs + event.forMs, `resume ${event.node}`, () => {
      faults.note(`${event.node} resumes after ${event.forMs} ms`);
      node.resume();
      over();
    });
  },
  skew: (faults, event, cause) => {
    faults.note(`${event.node}'s clock jumps by ${event.deltaMs} ms${cause}`);
    faults.world.node(event.node).skewClock(event.deltaMs);
  },
  drift: (faults, event) => {
    faults.note(`${event.node}'s clock drifts by ${event.ppm} ppm`);
    faults.world.node(event.node).setClockDrift(event.ppm);
  },
  partition: (faults, event) => {
    // Everyone on one side cuts nothing (the plan says "no fault"), so it heals nothing either.
    if (event.sideA.length === 0 || event.sideB.length === 0) return;
    faults.note(`partition {${event.sideA.join(", ")}} | {${event.sideB.join(", ")}}`);
    faults.world.network.partition(event.sideA, event.sideB);
    healNetworkAfter(faults, event.forMs);
  },
  blockLink: (faults, event) => {
    if (event.from === event.to) return;
    faults.note(`link ${event.from} -> ${event.to} drops everything`);
    faults.world.network.block(event.from, event.to);
    healNetworkAfter(faults, event.forMs);
  },
  fsyncFails: (faults, event) => {
    const disk = faults.world.node(event.node).disk;
    faults.note(`the next ${plural(event.count, "fsync")} on ${event.node} will fail with EIO`);
    disk.failNextFsyncs += event.count;
    faults.world.at(faults.world.nowMs + event.forMs, "fsyncs work", () => {
      disk.failNextFsyncs = 0;
    });
  },
  flipReads: (faults, event) => {
    const disk = faults.world.node(event.node).disk;
    faults.note(`the next ${plural(event.count, "read")} on ${event.node} will return a flipped bit`);
    disk.flipNextReads += event.count;
    faults.world.at(faults.world.nowMs + event.forMs, "reads are clean", () => {
      disk.flipNextReads = 0;
    });
  },
  diskFull: (faults, event) => {
    const disk = faults.world.node(event.node).disk;
    faults.note(`${event.node}'s disk is full`);
    disk.quotaBytes = disk.usageBytes();
    faults.world.at(faults.world.nowMs + event.forMs, "disk has room", () => {
      faults.note(`${event.node}'s disk has room again`);
      disk.quotaBytes = null;
    });
  },
};

function stopNode(faults: ActiveFaults, id: string, how: "crash" | "powerLoss", downMs: number, cause: string): void {
  const node = faults.world.node(id);
  if (!node.isUp) return;
  faults.note(
    how === "crash"
      ? `${id} crashes (process killed)${cause}, restarts ${downMs} ms later`
      : `${id} loses power (unsynced writes may be lost, torn or reordered)${cause}, restarts ${downMs} ms later`,
  );
  if (how === "crash") node.crash();
  else node.powerLoss();
  faults.restart(node, downMs);
}

function healNetworkAfter(faults: ActiveFaults, forMs: number): void {
  const over = faults.begin();
  faults.world.at(faults.world.nowMs + forMs, "heal", () => {
    faults.note("network heals");
    faults.world.network.heal();
    over();
  });
}

function run(faults: ActiveFaults, event: FaultEvent, cause: string): void {
  (handlers[event.kind] as Handler<FaultEvent>)(faults, event, cause);
}

/** Arms an aimed event: it fires right after the node's `count`-th call, or is disarmed unfired. */
function arm(faults: ActiveFaults, event: FaultEvent & { node: string }, after: AimedAt): void {
  const over = faults.begin();
  const sinceMs = faults.world.nowMs - faults.startMs;
  const trip = faults.world.node(event.node).armTrip(after.boundary, after.count, (label) => {
    over();
    run(faults, event, ` ${describeAim(after)} since ${formatSince(sinceMs)}: ${label}`);
  });
  faults.world.at(faults.world.nowMs + after.withinMs, `disarm ${event.kind}`, () => {
    trip.disarm();
    over();
  });
}

function formatSince(ms: number): string {
  return `${Number.isInteger(ms) ? ms : ms.toFixed(3)} ms`;
}

/**
 * Schedules every event of the plan on the world, counting times from now, and returns what
 * tells the workload when every fault is over.
 */
export function applyPlan(world: World, plan: FaultPlan, history: History): ActiveFaults {
  const faults = new ActiveFaults(world, plan, history);
  if (plan.net) Object.assign(world.network.profile, plan.net);
  for (const event of plan.events) {
    world.at(faults.startMs + event.atMs, event.kind, () => {
      if ("after" in event && event.after !== undefined) arm(faults, event, event.after);
      else run(faults, event, "");
    });
  }
  return faults;
}

/** An error in one line, for a supervisor's note. */
function errorLine(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The fault in words, without its time (re-exported for reports that print a plan's events). */
export { describeFault };
