/**
 * Fault plans: what goes wrong, and when, as plain data.
 *
 * A plan is a list of events. Each event is self-contained (a crash carries its own restart delay,
 * a partition its own duration), so that removing any one of them leaves a valid plan: that is
 * what lets fast-check shrink a failing plan to the few events that matter. Plans are drawn from
 * the run's seed, printed in every failure report, and applied to a world by `applyPlan`
 * (apply.ts). Event times count from the moment the plan is applied.
 *
 * Two ideas make plans find the bugs a careful reviewer would:
 * - Faults aimed at gaps. A crash at a random time rarely lands in the microseconds between a
 *   write and its fsync, or a rename and the directory's fsync, where durability bugs live. So a
 *   crash, power loss, pause or clock jump can instead be aimed "right after the node's k-th disk
 *   call (or message sent) from time t": every gap of a protocol is reached with good probability
 *   (ALICE's crash states, TigerBeetle's VOPR). k shrinks like everything else.
 * - Swarm testing. Each seed enables a random subset of the part's fault kinds, and whether faults
 *   are timed or aimed, and draws its own network fault rates, so that rare combinations are not
 *   diluted by the noise of every other fault (Groce et al., "Swarm testing", ISSTA 2012).
 */
import fc from "fast-check";
import type { Boundary } from "../sim/node.ts";
import { plural } from "../words.ts";
import { faultLimits } from "./limits.ts";

/** Where a fault is aimed: right after the node's `count`-th call of a kind, within `withinMs`. */
export interface AimedAt {
  boundary: Boundary;
  count: number;
  /** Disarmed if the node has not made that many calls this long after the event's time. */
  withinMs: number;
}

export type FaultEvent =
  /** The process dies; unsynced writes survive in the page cache. Restarted after `downMs`. */
  | { atMs: number; kind: "crash"; node: string; downMs: number; after?: AimedAt }
  /** The machine loses power; the disk keeps only what it must. Restarted after `downMs`. */
  | { atMs: number; kind: "powerLoss"; node: string; downMs: number; after?: AimedAt }
  /** The process freezes for `forMs` (a long GC pause) while the world moves on. */
  | { atMs: number; kind: "pause"; node: string; forMs: number; after?: AimedAt }
  /** The node's clock jumps by `deltaMs`. */
  | { atMs: number; kind: "skew"; node: string; deltaMs: number; after?: AimedAt }
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

/** The kinds that can be aimed at a gap instead of a time. */
const AIMABLE: readonly FaultKind[] = ["crash", "powerLoss", "pause", "skew"];

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
  /** Faults start in [0, windowMs) after the plan is applied. */
  windowMs: number;
  kinds: readonly FaultKind[];
  /** At least this many events (default 0). Fault-heavy parts set 1, so no seed runs fault-free. */
  eventsMin?: number;
  eventsMax: number;
  /** Longest time a crashed node stays down, a pause lasts, a partition holds. */
  outageMsMax?: number;
  /** A longer or shorter bound for some kinds (say, link losses that outlast a lease). */
  outageMsMaxByKind?: Partial<Record<FaultKind, number>>;
  /** If set, network fault rates are drawn up to these maxima. */
  netRatesMax?: NetFaultRates;
  /**
   * The gaps faults may be aimed at. Default: disk calls, plus messages sent when the plan has
   * network faults.
   */
  boundaries?: readonly Boundary[];
}

/** How one seed uses its part's shape: which kinds it enables, and how it aims them. */
interface Swarm {
  kinds: FaultKind[];
  aim: "time" | "gap" | "both";
}

/** The arbitrary of one event of `kind`. */
function eventArb(kind: FaultKind, shape: PlanShape, aim: Swarm["aim"]): fc.Arbitrary<FaultEvent> {
  const at = fc.integer({ min: 0, max: Math.max(0, shape.windowMs - 1) });
  const node = fc.constantFrom(...shape.nodes);
  const outageMsMax = shape.outageMsMaxByKind?.[kind] ?? shape.outageMsMax ?? faultLimits.outageMsMaxDefault;
  const outage = fc.integer({ min: 1, max: outageMsMax });
  const timed = eventAt(kind, shape, at, node, outage);
  if (!AIMABLE.includes(kind) || aim === "time") return timed;
  const aimed = fc.tuple(timed, aimArb(shape)).map(([event, after]) => ({ ...event, after }) as FaultEvent);
  return aim === "gap" ? aimed : fc.oneof(timed, aimed);
}

function eventAt(
  kind: FaultKind,
  shape: PlanShape,
  at: fc.Arbitrary<number>,
  node: fc.Arbitrary<string>,
  outage: fc.Arbitrary<number>,
): fc.Arbitrary<FaultEvent> {
  switch (kind) {
    case "crash":
    case "powerLoss":
      return fc.record({ atMs: at, kind: fc.constant(kind), node, downMs: outage });
    case "pause":
      return fc.record({ atMs: at, kind: fc.constant(kind), node, forMs: outage });
    case "skew": {
      const deltaMs = fc.integer({ min: -faultLimits.skewMsMax, max: faultLimits.skewMsMax });
      return fc.record({ atMs: at, kind: fc.constant(kind), node, deltaMs });
    }
    case "drift": {
      const ppm = fc.integer({ min: -faultLimits.driftPpmMax, max: faultLimits.driftPpmMax });
      return fc.record({ atMs: at, kind: fc.constant(kind), node, ppm });
    }
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
    case "flipReads": {
      const count = fc.integer({ min: 1, max: faultLimits.spoiledCallsMax });
      return fc.record({ atMs: at, kind: fc.constant(kind), node, count, forMs: outage });
    }
    case "diskFull":
      return fc.record({ atMs: at, kind: fc.constant(kind), node, forMs: outage });
  }
}

function aimArb(shape: PlanShape): fc.Arbitrary<AimedAt> {
  return fc.record({
    boundary: fc.constantFrom(...boundariesOf(shape)),
    count: fc.integer({ min: 1, max: faultLimits.boundaryCallsMax }),
    withinMs: fc.constant(shape.windowMs),
  });
}

function boundariesOf(shape: PlanShape): readonly Boundary[] {
  if (shape.boundaries !== undefined && shape.boundaries.length > 0) return shape.boundaries;
  const networked =
    shape.netRatesMax !== undefined || shape.kinds.some((kind) => kind === "partition" || kind === "blockLink");
  return networked ? ["disk", "send"] : ["disk"];
}

/** The arbitrary of plans of a shape: each seed a swarm of kinds, events sorted by time. */
export function planArb(shape: PlanShape): fc.Arbitrary<FaultPlan> {
  if (shape.kinds.length === 0 || shape.eventsMax === 0) return fc.constant({ events: [] });
  const swarm: fc.Arbitrary<Swarm> = fc.record({
    kinds: fc.subarray([...shape.kinds], { minLength: 1 }),
    aim: fc.constantFrom("both" as const, "time" as const, "gap" as const),
  });
  return swarm.chain((chosen) => plansOf(shape, chosen));
}

function plansOf(shape: PlanShape, swarm: Swarm): fc.Arbitrary<FaultPlan> {
  const events = fc
    .array(fc.oneof(...swarm.kinds.map((kind) => eventArb(kind, shape, swarm.aim))), {
      minLength: Math.min(shape.eventsMin ?? 0, shape.eventsMax),
      maxLength: shape.eventsMax,
    })
    .map((list) => [...list].sort((a, b) => a.atMs - b.atMs));
  const max = shape.netRatesMax;
  if (max === undefined) return events.map((list) => ({ events: list }));
  // Each rate is off for some seeds and drawn up to its maximum for others.
  const rate = (limit: number): fc.Arbitrary<number> =>
    limit <= 0
      ? fc.constant(0)
      : fc.oneof(
          fc.constant(0),
          fc.integer({ min: 1, max: Math.round(limit * 1000) }).map((n) => n / 1000),
        );
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

/** "1st", "2nd", "3rd", "11th", "22nd". */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

/** "right after its 3rd disk call" */
export function describeAim(after: AimedAt): string {
  const call = {
    disk: "disk call",
    send: "message sent",
    db: "database write or commit",
    redis: "Redis command that changed a key",
  }[after.boundary];
  return `right after its ${ordinal(after.count)} ${call}`;
}

/** What an event does, without its time: "n1 crashes (process killed), restarts 5 ms later". */
export function describeFault(event: FaultEvent): string {
  switch (event.kind) {
    case "crash":
      return `${event.node} crashes (process killed)${aimed(event.after)}, restarts ${event.downMs} ms later`;
    case "powerLoss":
      return `${event.node} loses power (unsynced writes may be lost, torn or reordered)${aimed(event.after)}, restarts ${event.downMs} ms later`;
    case "pause":
      return `${event.node} pauses${aimed(event.after)} for ${event.forMs} ms (frozen, like a long GC pause)`;
    case "skew":
      return `${event.node}'s clock jumps ${event.deltaMs >= 0 ? "ahead" : "back"} ${Math.abs(event.deltaMs)} ms${aimed(event.after)}`;
    case "drift":
      return `${event.node}'s clock starts running ${event.ppm >= 0 ? "fast" : "slow"} by ${Math.abs(event.ppm)} ppm`;
    case "partition":
      // A shrunk plan can keep an event that does nothing, when the part needs one event and the
      // failure needs none: say so, rather than leave the learner hunting for its effect.
      if (event.sideA.length === 0 || event.sideB.length === 0)
        return `no fault: a partition with everyone on one side, {${event.sideA.join(", ")}}`;
      return `network partition {${event.sideA.join(", ")}} | {${event.sideB.join(", ")}} for ${event.forMs} ms`;
    case "blockLink":
      if (event.from === event.to) return `no fault: a link from ${event.from} to itself, which carries no messages`;
      return `messages from ${event.from} to ${event.to} are lost for ${event.forMs} ms`;
    case "fsyncFails":
      return `the next ${plural(event.count, "fsync")} on ${event.node} in ${event.forMs} ms fail with EIO`;
    case "flipReads":
      return `the next ${plural(event.count, "read")} on ${event.node} in ${event.forMs} ms return a flipped bit`;
    case "diskFull":
      return `${event.node}'s disk is full for ${event.forMs} ms`;
  }
}

function aimed(after: AimedAt | undefined): string {
  return after === undefined ? "" : ` ${describeAim(after)}`;
}

/** One event in words, as a failure report prints it. */
export function describeEvent(event: FaultEvent): string {
  const when = "after" in event && event.after !== undefined ? `from ${event.atMs} ms` : `at ${event.atMs} ms`;
  return `${when.padEnd(12)} ${describeFault(event)}`;
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

/**
 * How long after the plan is applied every event of the plan, and the outage it causes, is over
 * (an aimed fault counts as firing as late as it may). The node a crash stopped may still be
 * starting then: `ActiveFaults.healed()` (apply.ts) waits for that too.
 */
export function planEndMs(plan: FaultPlan): number {
  let end = 0;
  for (const e of plan.events) {
    const lasts = "downMs" in e ? e.downMs : "forMs" in e ? e.forMs : 0;
    const latest = "after" in e && e.after !== undefined ? e.after.withinMs : 0;
    end = Math.max(end, e.atMs + latest + lasts);
  }
  return end;
}

export { ActiveFaults, applyPlan } from "./apply.ts";
