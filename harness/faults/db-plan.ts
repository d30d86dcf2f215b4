/**
 * Fault plans for the business database (harness/sim/db.ts), drawn and applied like the world's
 * own (plan.ts, apply.ts), beside them: a part that has a database draws both and applies both.
 * Crashes of the database's clients, and crashes aimed right after a database write or commit
 * (boundary "db"), are the world's own plan kinds; these are what happens to the database itself
 * or to the way to it.
 *
 * Every event is self-contained (a cut carries its duration, a counted fault its count), so that
 * fast-check can shrink a failing plan to the events that matter; swarm testing as in plan.ts:
 * each seed enables its own subset of the kinds.
 */
import fc from "fast-check";
import type { SimDatabase } from "../sim/db.ts";
import type { World } from "../sim/world.ts";
import type { History } from "../workloads/history.ts";
import {
  type ActiveSideFaults,
  activeSideFaults,
  type EventFields,
  type SidePlanShape,
  sidePlanArb,
} from "./side-plan.ts";

export type DbFaultEvent =
  /** The node cannot reach the database for `forMs`: its connections break. */
  | { atMs: number; kind: "dbCut"; node: string; forMs: number }
  /** The database server crashes and is back `downMs` later; committed rows survive. */
  | { atMs: number; kind: "dbRestart"; downMs: number }
  /** The node's next `count` commits take effect and their replies are lost (within `forMs`). */
  | { atMs: number; kind: "dbLoseCommitReplies"; node: string; count: number; forMs: number }
  /** The node's next `count` commits fail with a serialization failure (within `forMs`). */
  | { atMs: number; kind: "dbAbortCommits"; node: string; count: number; forMs: number };

export type DbFaultKind = DbFaultEvent["kind"];

export interface DbFaultPlan {
  events: DbFaultEvent[];
}

/** What a database plan may contain (as `PlanShape` in plan.ts). */
export type DbPlanShape = SidePlanShape<DbFaultKind>;

/** The arbitrary of database plans of a shape: each seed a swarm of kinds, events sorted by time. */
export function dbPlanArb(shape: DbPlanShape): fc.Arbitrary<DbFaultPlan> {
  return sidePlanArb(shape, dbEventArb);
}

function dbEventArb(kind: DbFaultKind, { atMs, node, outage, count }: EventFields): fc.Arbitrary<DbFaultEvent> {
  switch (kind) {
    case "dbCut":
      return fc.record({ atMs, kind: fc.constant(kind), node, forMs: outage });
    case "dbRestart":
      return fc.record({ atMs, kind: fc.constant(kind), downMs: outage });
    case "dbLoseCommitReplies":
    case "dbAbortCommits":
      return fc.record({ atMs, kind: fc.constant(kind), node, count, forMs: outage });
  }
}

/** What an event does, without its time. */
export function describeDbFault(event: DbFaultEvent): string {
  switch (event.kind) {
    case "dbCut":
      return `${event.node} cannot reach the database for ${event.forMs} ms (its connections break)`;
    case "dbRestart":
      return `the database restarts (down ${event.downMs} ms; committed rows survive)`;
    case "dbLoseCommitReplies":
      return `the next ${commits(event.count)} of ${event.node} in ${event.forMs} ms take effect, and the replies are lost`;
    case "dbAbortCommits":
      return `the next ${commits(event.count)} of ${event.node} in ${event.forMs} ms fail with a serialization failure`;
  }
}

export function describeDbPlan(plan: DbFaultPlan): string[] {
  return plan.events.map((event) => `${`at ${event.atMs} ms`.padEnd(12)} ${describeDbFault(event)}`);
}

/** How long after the plan is applied every event of it is over. */
export function dbPlanEndMs(plan: DbFaultPlan): number {
  let end = 0;
  for (const event of plan.events) end = Math.max(end, event.atMs + ("downMs" in event ? event.downMs : event.forMs));
  return end;
}

/** A database plan under way: when every fault is over. */
export type ActiveDbFaults = ActiveSideFaults;

/**
 * Schedules every event of the plan on the world, counting times from now, and records each in
 * the history's timeline as it happens.
 */
export function applyDbPlan(world: World, db: SimDatabase, plan: DbFaultPlan, history: History): ActiveDbFaults {
  const startMs = world.nowMs;
  const later = (ms: number, label: string, fn: () => void): void => world.at(world.nowMs + ms, label, fn);
  for (const event of plan.events) {
    world.at(startMs + event.atMs, event.kind, () => {
      history.nemesis(describeDbFault(event));
      switch (event.kind) {
        case "dbCut":
          db.cut(event.node);
          later(event.forMs, "database reachable", () => {
            history.nemesis(`${event.node}'s cut from the database ends`);
            db.heal(event.node);
          });
          return;
        case "dbRestart":
          db.restart(event.downMs);
          later(event.downMs, "database back", () => history.nemesis("the database is back"));
          return;
        case "dbLoseCommitReplies":
        case "dbAbortCommits": {
          const armed =
            event.kind === "dbAbortCommits"
              ? db.abortCommits(event.node, event.count)
              : db.loseCommitReplies(event.node, event.count);
          later(event.forMs, "commit fault disarmed", () => armed.disarm());
          return;
        }
      }
    });
  }
  return activeSideFaults(world, startMs, dbPlanEndMs(plan));
}

function commits(count: number): string {
  return `${count} commit${count === 1 ? "" : "s"}`;
}
