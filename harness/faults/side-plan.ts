/**
 * What the fault plans of the world's outside services have in common: the business database's
 * (db-plan.ts) and Redis's (redis-plan.ts). Each draws its own kinds of event and applies them to
 * its own service; both draw a plan the same way (swarm testing as in plan.ts: each seed enables
 * its own subset of the kinds, events sorted by time), print it the same way, schedule it the same
 * way (a cut, a restart and an armed counted fault each end on their own timer, recorded in the
 * history's timeline) and tell the workload the same way when every fault is over.
 */
import fc from "fast-check";
import type { World } from "../sim/world.ts";
import type { History } from "../workloads/history.ts";
import { faultLimits } from "./limits.ts";

/** What a service's plan may contain (as `PlanShape` in plan.ts). */
export interface SidePlanShape<TKind extends string> {
  /** The service's clients. */
  nodes: readonly string[];
  /** Faults start in [0, windowMs) after the plan is applied. */
  windowMs: number;
  kinds: readonly TKind[];
  eventsMin?: number;
  eventsMax: number;
  /** Longest cut, downtime, or window of a counted fault. */
  outageMsMax?: number;
}

/** The arbitraries every event kind draws its fields from, within the shape's bounds. */
export interface EventFields {
  atMs: fc.Arbitrary<number>;
  node: fc.Arbitrary<string>;
  outage: fc.Arbitrary<number>;
  count: fc.Arbitrary<number>;
}

export function eventFields<TKind extends string>(shape: SidePlanShape<TKind>): EventFields {
  return {
    atMs: fc.integer({ min: 0, max: Math.max(0, shape.windowMs - 1) }),
    node: fc.constantFrom(...shape.nodes),
    outage: fc.integer({ min: 1, max: shape.outageMsMax ?? faultLimits.outageMsMaxDefault }),
    count: fc.integer({ min: 1, max: faultLimits.spoiledCallsMax }),
  };
}

/** The arbitrary of a service's plans: each seed a swarm of kinds, events sorted by time. */
export function sidePlanArb<TKind extends string, TEvent extends { atMs: number }>(
  shape: SidePlanShape<TKind>,
  eventArb: (kind: TKind, fields: EventFields) => fc.Arbitrary<TEvent>,
): fc.Arbitrary<{ events: TEvent[] }> {
  if (shape.kinds.length === 0 || shape.eventsMax === 0) return fc.constant({ events: [] });
  const fields = eventFields(shape);
  return fc.subarray([...shape.kinds], { minLength: 1 }).chain((kinds) =>
    fc
      .array(fc.oneof(...kinds.map((kind) => eventArb(kind, fields))), {
        minLength: Math.min(shape.eventsMin ?? 0, shape.eventsMax),
        maxLength: shape.eventsMax,
      })
      .map((events) => ({ events: [...events].sort((a, b) => a.atMs - b.atMs) })),
  );
}

/** A service's plan under way: when every fault is over. */
export interface ActiveSideFaults {
  readonly endMs: number;
  isHealed(): boolean;
  /** Resolves (in simulated time) once every fault is over. */
  healed(): Promise<void>;
}

/** The plan applied at `startMs` whose last fault ends `durationMs` later. */
export function activeSideFaults(world: World, startMs: number, durationMs: number): ActiveSideFaults {
  const endMs = startMs + durationMs;
  const isHealed = (): boolean => world.nowMs >= endMs;
  return {
    endMs,
    isHealed,
    healed: async () => {
      while (!isHealed()) await world.sleep(1);
    },
  };
}

/** Every event of a service's plan has a time (from when the plan is applied) and a kind. */
export interface SideEvent {
  atMs: number;
  kind: string;
}

/** The node cannot reach the service for `forMs` (every service has this event, named its own way). */
export interface CutEvent<TKind extends string> {
  atMs: number;
  kind: TKind;
  node: string;
  forMs: number;
}

/** The service crashes and is back `downMs` later (every service has this event too). */
export interface RestartEvent<TKind extends string> {
  atMs: number;
  kind: TKind;
  downMs: number;
}

/** A service's plan: its events, sorted by time. */
export interface SidePlan<TEvent extends SideEvent> {
  events: TEvent[];
}

/** What a service's plan does to it (SimDatabase and SimRedis both offer these). */
export interface CuttableService {
  cut(nodeId: string): void;
  heal(nodeId: string): void;
  restart(downMs: number): void;
}

/** How the timeline and the scheduler speak of a service. */
export interface ServiceWords {
  /** In event labels: `${label} reachable`, `${label} back`. */
  label: string;
  /** In the timeline: `p1 cannot reach ${called}`, `${called} restarts`. */
  called: string;
  /** What a cut does to the node's calls, in the timeline. */
  cutMeans: string;
  /** What a restart keeps or loses, in the timeline. */
  restartMeans: string;
  /** In the timeline when a restart is over. */
  back: string;
}

/**
 * What one service's plans are made of beyond the cut and the restart that every service has:
 * its own kinds of event (`TOwn`), each drawn, described, timed and applied here; everything else
 * is the same for every service.
 */
export interface SideModel<TCut extends string, TRestart extends string, TOwn extends SideEvent, TService> {
  cutKind: TCut;
  restartKind: TRestart;
  words: ServiceWords;
  /** The arbitrary of one of the service's own kinds of event. */
  ownEventArb(kind: TOwn["kind"], fields: EventFields): fc.Arbitrary<TOwn>;
  /** What the event does, in words, without its time. */
  describeOwn(event: TOwn): string;
  /** How long the event lasts after its time (0 for an instant one). */
  ownLastingMs(event: TOwn): number;
  /**
   * What the event does to the service, at its time (after it is recorded in the timeline);
   * `armFor` disarms a counted fault `forMs` later if it is not spent by then.
   */
  strikeOwn(service: TService, event: TOwn, armFor: (forMs: number, label: string, armed: Disarmable) => void): void;
}

/** A counted fault armed on a service, until spent or disarmed. */
export interface Disarmable {
  disarm(): void;
}

/** The plans of one service: drawn, printed, timed and applied. */
export interface SidePlans<TEvent extends SideEvent, TService, TKind extends string = TEvent["kind"]> {
  /** The arbitrary of plans of a shape: each seed a swarm of kinds, events sorted by time. */
  arb(shape: SidePlanShape<TKind>): fc.Arbitrary<SidePlan<TEvent>>;
  /** What an event does, without its time. */
  describeEvent(event: TEvent): string;
  /** One line an event: its time, then what it does. */
  describe(plan: SidePlan<TEvent>): string[];
  /** How long after the plan is applied every event of it is over. */
  endMs(plan: SidePlan<TEvent>): number;
  /**
   * Schedules every event of the plan on the world, counting times from now, and records each in
   * the history's timeline as it happens.
   */
  apply(world: World, service: TService, plan: SidePlan<TEvent>, history: History): ActiveSideFaults;
}

export function sidePlans<
  TCut extends string,
  TRestart extends string,
  TOwn extends SideEvent,
  TService extends CuttableService,
>(
  model: SideModel<TCut, TRestart, TOwn, TService>,
): SidePlans<CutEvent<TCut> | RestartEvent<TRestart> | TOwn, TService, TCut | TRestart | TOwn["kind"]> {
  type TEvent = CutEvent<TCut> | RestartEvent<TRestart> | TOwn;
  type TKind = TCut | TRestart | TOwn["kind"];
  const { cutKind, restartKind, words } = model;
  const asCut = (event: TEvent): CutEvent<TCut> | null => (event.kind === cutKind ? (event as CutEvent<TCut>) : null);
  const asRestart = (event: TEvent): RestartEvent<TRestart> | null =>
    event.kind === restartKind ? (event as RestartEvent<TRestart>) : null;
  const describeEvent = (event: TEvent): string => {
    const cut = asCut(event);
    if (cut !== null) return `${cut.node} cannot reach ${words.called} for ${cut.forMs} ms (${words.cutMeans})`;
    const restart = asRestart(event);
    if (restart !== null) return `${words.called} restarts (down ${restart.downMs} ms; ${words.restartMeans})`;
    return model.describeOwn(event as TOwn);
  };
  const endMs = (plan: SidePlan<TEvent>): number => {
    let end = 0;
    for (const event of plan.events) {
      const lastingMs = asCut(event)?.forMs ?? asRestart(event)?.downMs ?? model.ownLastingMs(event as TOwn);
      end = Math.max(end, event.atMs + lastingMs);
    }
    return end;
  };
  const eventArb = (kind: TKind, fields: EventFields): fc.Arbitrary<TEvent> => {
    const { atMs, node, outage } = fields;
    if (kind === cutKind) return fc.record({ atMs, kind: fc.constant(cutKind), node, forMs: outage });
    if (kind === restartKind) return fc.record({ atMs, kind: fc.constant(restartKind), downMs: outage });
    return model.ownEventArb(kind, fields);
  };
  return {
    arb: (shape) => sidePlanArb<TKind, TEvent>(shape, eventArb),
    describeEvent,
    describe: (plan) => plan.events.map((event) => `${`at ${event.atMs} ms`.padEnd(12)} ${describeEvent(event)}`),
    endMs,
    apply: (world, service, plan, history) => {
      const startMs = world.nowMs;
      const later = (ms: number, label: string, fn: () => void): void => world.at(world.nowMs + ms, label, fn);
      const strike = (event: TEvent): void => {
        const cut = asCut(event);
        const restart = asRestart(event);
        if (cut !== null) {
          service.cut(cut.node);
          later(cut.forMs, `${words.label} reachable`, () => {
            history.nemesis(`${cut.node}'s cut from ${words.called} ends`);
            service.heal(cut.node);
          });
        } else if (restart !== null) {
          service.restart(restart.downMs);
          later(restart.downMs, `${words.label} back`, () => history.nemesis(words.back));
        } else {
          model.strikeOwn(service, event as TOwn, (forMs, label, armed) => later(forMs, label, () => armed.disarm()));
        }
      };
      for (const event of plan.events) {
        world.at(startMs + event.atMs, event.kind, () => {
          history.nemesis(describeEvent(event));
          strike(event);
        });
      }
      return activeSideFaults(world, startMs, endMs(plan));
    },
  };
}
