/**
 * Fault plans for the business database (harness/sim/db.ts), drawn and applied like the world's
 * own (plan.ts, apply.ts), beside them: a part that has a database draws both and applies both.
 * Crashes of the database's clients, and crashes aimed right after a database write or commit
 * (boundary "db"), are the world's own plan kinds; these are what happens to the database itself
 * or to the way to it.
 *
 * Every event is self-contained (a cut carries its duration, a counted fault its count), so that
 * fast-check can shrink a failing plan to the events that matter; swarm testing as in plan.ts:
 * each seed enables its own subset of the kinds. What every service's plans share (drawing,
 * printing, scheduling, the cut and the restart) is side-plan.ts's; this file holds the rest.
 */
import fc from "fast-check";
import type { SimDatabase } from "../sim/db.ts";
import { type CutEvent, type RestartEvent, type SidePlan, type SidePlanShape, sidePlans } from "./side-plan.ts";

/** A counted fault on the node's next `count` commits, armed for `forMs`. */
interface CommitFaultEvent<TKind extends string> {
  atMs: number;
  kind: TKind;
  node: string;
  count: number;
  forMs: number;
}

export type DbFaultEvent =
  /** The node cannot reach the database for `forMs`: its connections break. */
  | CutEvent<"dbCut">
  /** The database server crashes and is back `downMs` later; committed rows survive. */
  | RestartEvent<"dbRestart">
  /** The node's next `count` commits take effect and their replies are lost (within `forMs`). */
  | CommitFaultEvent<"dbLoseCommitReplies">
  /** The node's next `count` commits fail with a serialization failure (within `forMs`). */
  | CommitFaultEvent<"dbAbortCommits">;

type CommitFault = CommitFaultEvent<"dbLoseCommitReplies" | "dbAbortCommits">;

export type DbFaultKind = DbFaultEvent["kind"];

/** What a database plan may contain (as `PlanShape` in plan.ts). */
export type DbPlanShape = SidePlanShape<DbFaultKind>;

/**
 * The database plans: `arb` draws them (each seed a swarm of kinds), `describe` prints them,
 * `endMs` says when every event is over, `apply` schedules them on the world (side-plan.ts).
 */
export const dbPlans = sidePlans<"dbCut", "dbRestart", CommitFault, SimDatabase>({
  cutKind: "dbCut",
  restartKind: "dbRestart",
  words: {
    label: "database",
    called: "the database",
    cutMeans: "its connections break",
    restartMeans: "committed rows survive",
    back: "the database is back",
  },
  ownEventArb: (kind, { atMs, node, count, outage }) =>
    fc.record({ atMs, kind: fc.constant(kind), node, count, forMs: outage }),
  describeOwn: ({ kind, node, count, forMs }) => {
    const commits = `${count} commit${count === 1 ? "" : "s"}`;
    return kind === "dbLoseCommitReplies"
      ? `the next ${commits} of ${node} in ${forMs} ms take effect, and the replies are lost`
      : `the next ${commits} of ${node} in ${forMs} ms fail with a serialization failure`;
  },
  ownLastingMs: (event) => event.forMs,
  strikeOwn: (db, { kind, node, count, forMs }, armFor) =>
    armFor(
      forMs,
      "commit fault disarmed",
      kind === "dbAbortCommits" ? db.abortCommits(node, count) : db.loseCommitReplies(node, count),
    ),
});

export type DbFaultPlan = SidePlan<DbFaultEvent>;
