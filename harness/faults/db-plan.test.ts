/**
 * Database fault plans are drawn from a seed, shrink, read in words, and do to the simulated
 * database what they say, when they say, and then stop.
 */
import { describe, expect, it } from "vitest";
import type { Database } from "../db.ts";
import { type DbProfile, SimDatabase } from "../sim/db.ts";
import { type DbFaultPlan, dbPlans } from "./db-plan.ts";
import { itDrawsAndShrinks, type PlanSetup, underPlan } from "./side-plan-testing.ts";

const shape = {
  nodes: ["p1", "p2"] as const,
  windowMs: 100,
  kinds: ["dbCut", "dbRestart", "dbLoseCommitReplies", "dbAbortCommits"] as const,
  eventsMax: 5,
};

/** Client p1 of a fresh database under `plan`. */
function onePlan(plan: DbFaultPlan, profile: Partial<DbProfile> = {}): PlanSetup<SimDatabase, Database> {
  return {
    nodeId: "p1",
    service: (world) => new SimDatabase(world, profile),
    connect: (db, env) => db.connect(env),
    apply: (world, db, history) => dbPlans.apply(world, db, plan, history),
  };
}

describe("database fault plans", () => {
  itDrawsAndShrinks(dbPlans.arb, shape, "dbCut");

  it("are printed in words, and end when their last outage does", () => {
    const plan: DbFaultPlan = {
      events: [
        { atMs: 5, kind: "dbCut", node: "p1", forMs: 20 },
        { atMs: 10, kind: "dbRestart", downMs: 40 },
        { atMs: 12, kind: "dbLoseCommitReplies", node: "p2", count: 1, forMs: 5 },
        { atMs: 20, kind: "dbAbortCommits", node: "p1", count: 2, forMs: 8 },
      ],
    };
    expect(dbPlans.describe(plan)).toEqual([
      "at 5 ms      p1 cannot reach the database for 20 ms (its connections break)",
      "at 10 ms     the database restarts (down 40 ms; committed rows survive)",
      "at 12 ms     the next 1 commit of p2 in 5 ms take effect, and the replies are lost",
      "at 20 ms     the next 2 commits of p1 in 8 ms fail with a serialization failure",
    ]);
    expect(dbPlans.endMs(plan)).toBe(50);
  });

  it("do what they say to the database, and stop: a cut, then a lost reply, then nothing", async () => {
    const plan: DbFaultPlan = {
      events: [
        { atMs: 0, kind: "dbCut", node: "p1", forMs: 300 },
        { atMs: 400, kind: "dbLoseCommitReplies", node: "p1", count: 1, forMs: 100 },
      ],
    };
    const {
      seen,
      said,
      service: db,
    } = await underPlan(onePlan(plan), async ({ call, until, faults }) => {
      const put = (value: number) => call((api) => api.transaction((tx) => tx.put("t", "k", value)));
      await until(1);
      const whileCut = await put(1);
      await until(401);
      const replyLost = await put(2);
      await faults.healed();
      return { whileCut, replyLost, afterwards: await put(3) };
    });
    expect(seen).toEqual({ whileCut: "ConnectionLost", replyLost: "CommitOutcomeUnknown", afterwards: undefined });
    expect(db.history().map((t) => t.writes)).toEqual([
      [{ table: "t", key: "k", row: 2 }],
      [{ table: "t", key: "k", row: 3 }],
    ]);
    expect(said).toEqual([
      "p1 cannot reach the database for 300 ms (its connections break)",
      "p1's cut from the database ends",
      "the next 1 commit of p1 in 100 ms take effect, and the replies are lost",
    ]);
  });

  it("overlapping cuts of one node: it is reachable again only when the last one ends", async () => {
    const plan: DbFaultPlan = {
      events: [
        { atMs: 0, kind: "dbCut", node: "p1", forMs: 100 },
        { atMs: 10, kind: "dbCut", node: "p1", forMs: 20 },
      ],
    };
    const { seen } = await underPlan(onePlan(plan, { brokenConnectionMs: 5 }), async ({ call, until }) => {
      const get = () => call((api) => api.transaction((tx) => tx.get("t", "k")));
      await until(40);
      const between = await get();
      await until(110);
      return { between, after: await get() };
    });
    expect(seen).toEqual({ between: "ConnectionLost", after: undefined });
  });
});
