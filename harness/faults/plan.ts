/**
 * Fault plans: what goes wrong, and when, as plain data.
 *
 * A plan is a list of timed events. Each event is self-contained (a crash carries its own restart
 * delay, a partition its own duration), so that removing any one of them leaves a valid plan: that
 * is what lets fast-check shrink a failing plan to the few events that matter. Plans are drawn from
 * the run's seed, printed in every failure report, and applied to a world by `applyPlan`.
 */
import fc from "fast-check";
import type { World } from "../sim/world.ts";
import type { History } from "../workloads/history.ts";

export type FaultEvent =
  /** The process dies; unsynced writes survive in the page cache. Restarted after `downMs`. */
  | { atMs: number; kind: "crash"; node: string; downMs: number }
  /** The machine loses power; the disk keeps only what it must. Restarted after `downMs`. */
  | { atMs: number; kind: "powerLoss"; node: string; downMs: number }
  /** The process freezes for `forMs` (a long GC pause) while the world moves on. */
  | { atMs: number; kind: "pause"; node: string; forMs: number }
  /** The node's clock jumps by `deltaMs`. */
  | { atMs: number; kind: "skew"; node: string; deltaMs: number }
  /** The node's clock runs fast or slow by `ppm` parts per million from now on. */
  | { atMs: number; kind: "drift"; node: string; ppm: number }
  /** The network splits into two sides for `forMs`. */
  | { atMs: number; kind: "partition"; sideA: string[]; sideB: string[]; forMs: number }
  /** Messages from `from` to `to` are lost for `forMs` (a one-way partition). */
  | { atMs: number; kind: "blockLink"; from: string; to: string; forMs: number }
  /** The next `count` fsyncs on the node within `forMs` fail with EIO, dropping the unsynced data. */
  | { atMs: number; kind: "fsyncFails"; node: string; count: number; forMs: number }
  /** The next `count` reads on the node within `forMs` return one flipped bit each. */
  | { atMs: number; kind: "flipReads"; node: string; count: number; forMs: number }
  /** The disk is full (writes that grow files fail with ENOSPC) for `forMs`. */
  | { atMs: number; kind: "diskFull"; node: string; forMs: number };

export type FaultKind = FaultEvent["kind"];

/** Network fault rates for a whole run. */
export interface NetFaultRates {
  dropRate: number;
  duplicateRate: number;
  reorderRate: number;
}

export interface FaultPlan {
  events: FaultEvent[];
  net?: NetFaultRates;
}

/** What a plan may contain: the nodes, the window in which faults happen, and the kinds allowed. */
export interface PlanShape {
  /** Nodes that crash, lose power, pause, get skewed clocks or failing disks. */
  nodes: readonly string[];
  /** Nodes a partition may separate (default: `nodes`). */
  networkNodes?: readonly string[];
  /** Faults start in [0, windowMs). */
  windowMs: number;
  kinds: readonly FaultKind[];
  /** At least this many events (default 0). Fault-heavy parts set 1, so no seed runs fault-free. */
  minEvents?: number;
  maxEvents: number;
  /** Longest time a crashed node stays down, a pause lasts, a partition holds. */
  maxOutageMs?: number;
  /** If set, network fault rates are drawn up to these maxima. */
  maxNetRates?: NetFaultRates;
}

/** The arbitrary of one event of `kind`. */
function eventArb(kind: FaultKind, shape: PlanShape): fc.Arbitrary<FaultEvent> {
  const at = fc.integer({ min: 0, max: Math.max(0, shape.windowMs - 1) });
  const node = fc.constantFrom(...shape.nodes);
  const outage = fc.integer({ min: 1, max: shape.maxOutageMs ?? 50 });
  switch (kind) {
    case "crash":
    case "powerLoss":
      return fc.record({ atMs: at, kind: fc.constant(kind), node, downMs: outage });
    case "pause":
      return fc.record({ atMs: at, kind: fc.constant(kind), node, forMs: outage });
    case "skew":
      return fc.record({ atMs: at, kind: fc.constant(kind), node, deltaMs: fc.integer({ min: -60_000, max: 60_000 }) });
    case "drift":
      return fc.record({ atMs: at, kind: fc.constant(kind), node, ppm: fc.integer({ min: -200_000, max: 200_000 }) });
    case "partition": {
      const everyone = shape.networkNodes ?? shape.nodes;
      return fc
        .record({ atMs: at, split: fc.subarray([...everyone], { minLength: 1 }), forMs: outage })
        .map(({ atMs, split, forMs }) => ({
          atMs,
          kind: "partition" as const,
          sideA: split,
          sideB: everyone.filter((n) => !split.includes(n)),
          forMs,
        }));
    }
    case "blockLink": {
      const linkEnd = fc.constantFrom(...(shape.networkNodes ?? shape.nodes));
      return fc.record({ atMs: at, kind: fc.constant(kind), from: linkEnd, to: linkEnd, forMs: outage });
    }
    case "fsyncFails":
    case "flipReads":
      return fc.record({
        atMs: at,
        kind: fc.constant(kind),
        node,
        count: fc.integer({ min: 1, max: 3 }),
        forMs: outage,
      });
    case "diskFull":
      return fc.record({ atMs: at, kind: fc.constant(kind), node, forMs: outage });
  }
}

/** The arbitrary of plans of a shape: events sorted by time. */
export function planArb(shape: PlanShape): fc.Arbitrary<FaultPlan> {
  if (shape.kinds.length === 0 || shape.maxEvents === 0) return fc.constant({ events: [] });
  const events = fc
    .array(fc.oneof(...shape.kinds.map((kind) => eventArb(kind, shape))), {
      minLength: Math.min(shape.minEvents ?? 0, shape.maxEvents),
      maxLength: shape.maxEvents,
    })
    .map((list) => [...list].sort((a, b) => a.atMs - b.atMs));
  if (shape.maxNetRates === undefined) return events.map((list) => ({ events: list }));
  const max = shape.maxNetRates;
  const rate = (limit: number): fc.Arbitrary<number> =>
    limit <= 0 ? fc.constant(0) : fc.integer({ min: 0, max: Math.round(limit * 1000) }).map((n) => n / 1000);
  return fc
    .record({
      events,
      net: fc.record({
        dropRate: rate(max.dropRate),
        duplicateRate: rate(max.duplicateRate),
        reorderRate: rate(max.reorderRate),
      }),
    })
    .map(({ events: list, net }) => ({ events: list, net }));
}

/** One event in words, as a failure report prints it. */
export function describeEvent(event: FaultEvent): string {
  const at = `at ${event.atMs} ms`.padEnd(12);
  switch (event.kind) {
    case "crash":
      return `${at} ${event.node} crashes (process killed), restarts ${event.downMs} ms later`;
    case "powerLoss":
      return `${at} ${event.node} loses power (unsynced writes may be lost, torn or reordered), restarts ${event.downMs} ms later`;
    case "pause":
      return `${at} ${event.node} pauses for ${event.forMs} ms (frozen, like a long GC pause)`;
    case "skew":
      return `${at} ${event.node}'s clock jumps ${event.deltaMs >= 0 ? "ahead" : "back"} ${Math.abs(event.deltaMs)} ms`;
    case "drift":
      return `${at} ${event.node}'s clock starts running ${event.ppm >= 0 ? "fast" : "slow"} by ${Math.abs(event.ppm)} ppm`;
    case "partition":
      return `${at} network partition {${event.sideA.join(", ")}} | {${event.sideB.join(", ")}} for ${event.forMs} ms`;
    case "blockLink":
      return `${at} messages from ${event.from} to ${event.to} are lost for ${event.forMs} ms`;
    case "fsyncFails":
      return `${at} the next ${event.count} fsync(s) on ${event.node} in ${event.forMs} ms fail with EIO`;
    case "flipReads":
      return `${at} the next ${event.count} read(s) on ${event.node} in ${event.forMs} ms return a flipped bit`;
    case "diskFull":
      return `${at} ${event.node}'s disk is full for ${event.forMs} ms`;
  }
}

export function describePlan(plan: FaultPlan): string[] {
  const lines = plan.events.map(describeEvent);
  if (plan.net && (plan.net.dropRate > 0 || plan.net.duplicateRate > 0 || plan.net.reorderRate > 0)) {
    const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
    lines.unshift(
      `throughout: ${pct(plan.net.dropRate)} of messages lost, ${pct(plan.net.duplicateRate)} duplicated, ${pct(plan.net.reorderRate)} delayed out of order`,
    );
  }
  return lines.length > 0 ? lines : ["(no faults)"];
}

/** The time by which every event of the plan, and the outage it causes, is over. */
export function planEndMs(plan: FaultPlan): number {
  let end = 0;
  for (const e of plan.events) {
    const lasts = "downMs" in e ? e.downMs : "forMs" in e ? e.forMs : 0;
    end = Math.max(end, e.atMs + lasts);
  }
  return end;
}

/**
 * Schedules every event of the plan on the world, recording each in the history as it happens.
 * Restarts that fail are reported as lab errors (a boot that throws is the lab's bug).
 */
export function applyPlan(world: World, plan: FaultPlan, history: History): void {
  if (plan.net) Object.assign(world.network.profile, plan.net);
  const restartAfter = (node: string, downMs: number): void => {
    world.at(world.nowMs + downMs, `restart ${node}`, () => {
      const target = world.node(node);
      if (target.isUp) return;
      history.nemesis(`${node} restarts`);
      void target.start().then((outcome) => {
        if (outcome.kind === "error") world.reportLabError(outcome.error, `restarting ${node}`);
      });
    });
  };
  for (const event of plan.events) {
    world.at(event.atMs, event.kind, () => {
      switch (event.kind) {
        case "crash":
        case "powerLoss": {
          const target = world.node(event.node);
          if (!target.isUp) return;
          history.nemesis(describeEvent(event).replace(/^at \d+ ms\s+/, ""));
          if (event.kind === "crash") target.crash();
          else target.powerLoss();
          restartAfter(event.node, event.downMs);
          return;
        }
        case "pause": {
          const target = world.node(event.node);
          if (target.isPaused || !target.isUp) return;
          history.nemesis(`${event.node} pauses`);
          target.pause();
          world.at(world.nowMs + event.forMs, `resume ${event.node}`, () => {
            history.nemesis(`${event.node} resumes after ${event.forMs} ms`);
            target.resume();
          });
          return;
        }
        case "skew":
          history.nemesis(`${event.node}'s clock jumps by ${event.deltaMs} ms`);
          world.node(event.node).skewClock(event.deltaMs);
          return;
        case "drift":
          history.nemesis(`${event.node}'s clock drifts by ${event.ppm} ppm`);
          world.node(event.node).setClockDrift(event.ppm);
          return;
        case "partition":
          history.nemesis(`partition {${event.sideA.join(", ")}} | {${event.sideB.join(", ")}}`);
          world.network.partition(event.sideA, event.sideB);
          world.at(world.nowMs + event.forMs, "heal", () => {
            history.nemesis("network heals");
            world.network.heal();
          });
          return;
        case "blockLink":
          if (event.from === event.to) return;
          history.nemesis(`link ${event.from} -> ${event.to} drops everything`);
          world.network.block(event.from, event.to);
          world.at(world.nowMs + event.forMs, "heal", () => {
            history.nemesis("network heals");
            world.network.heal();
          });
          return;
        case "fsyncFails": {
          const disk = world.node(event.node).disk;
          history.nemesis(`the next ${event.count} fsync(s) on ${event.node} will fail with EIO`);
          disk.failNextFsyncs += event.count;
          world.at(world.nowMs + event.forMs, "fsyncs work", () => {
            disk.failNextFsyncs = 0;
          });
          return;
        }
        case "flipReads": {
          const disk = world.node(event.node).disk;
          history.nemesis(`the next ${event.count} read(s) on ${event.node} will return a flipped bit`);
          disk.flipNextReads += event.count;
          world.at(world.nowMs + event.forMs, "reads are clean", () => {
            disk.flipNextReads = 0;
          });
          return;
        }
        case "diskFull": {
          const disk = world.node(event.node).disk;
          history.nemesis(`${event.node}'s disk is full`);
          disk.quotaBytes = disk.usageBytes();
          world.at(world.nowMs + event.forMs, "disk has room", () => {
            history.nemesis(`${event.node}'s disk has room again`);
            disk.quotaBytes = null;
          });
          return;
        }
      }
    });
  }
}
