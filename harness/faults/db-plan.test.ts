/**
 * Database fault plans are drawn from a seed, shrink, read in words, and do to the simulated
 * database what they say, when they say, and then stop.
 */
import { describe, expect, it } from "vitest";
import type { Database } from "../db.ts";
import type { Env } from "../env.ts";
import { SimDatabase } from "../sim/db.ts";
import { simulate } from "../sim/testing.ts";
import { World } from "../sim/world.ts";
import { History } from "../workloads/history.ts";
import { applyDbPlan, type DbFaultPlan, dbPlanArb, dbPlanEndMs, describeDbPlan } from "./db-plan.ts";
import { itDrawsAndShrinks } from "./side-plan-testing.ts";

const shape = {
  nodes: ["p1", "p2"] as const,
  windowMs: 100,
  kinds: ["dbCut", "dbRestart", "dbLoseCommitReplies", "dbAbortCommits"] as const,
  eventsMax: 5,
};

describe("database fault plans", () => {
  itDrawsAndShrinks(dbPlanArb, shape, "dbCut");

  it("are printed in words, and end when their last outage does", () => {
    const plan: DbFaultPlan = {
      events: [
        { atMs: 5, kind: "dbCut", node: "p1", forMs: 20 },
        { atMs: 10, kind: "dbRestart", downMs: 40 },
        { atMs: 12, kind: "dbLoseCommitReplies", node: "p2", count: 1, forMs: 5 },
        { atMs: 20, kind: "dbAbortCommits", node: "p1", count: 2, forMs: 8 },
      ],
    };
    expect(describeDbPlan(plan)).toEqual([
      "at 5 ms      p1 cannot reach the database for 20 ms (its connections break)",
      "at 10 ms     the database restarts (down 40 ms; committed rows survive)",
      "at 12 ms     the next 1 commit of p2 in 5 ms take effect, and the replies are lost",
      "at 20 ms     the next 2 commits of p1 in 8 ms fail with a serialization failure",
    ]);
    expect(dbPlanEndMs(plan)).toBe(50);
  });

  it("do what they say to the database, and stop: a cut, then a lost reply, then nothing", async () => {
    const world = new World({ seed: 1 });
    const db = new SimDatabase(world);
    const node = world.addNode("p1", (env: Env): Database => db.connect(env));
    const history = new History(() => world.nowMs);
    const plan: DbFaultPlan = {
      events: [
        { atMs: 0, kind: "dbCut", node: "p1", forMs: 300 },
        { atMs: 400, kind: "dbLoseCommitReplies", node: "p1", count: 1, forMs: 100 },
      ],
    };
    const put = async (value: number): Promise<string> => {
      const outcome = await node.invoke((api) => api.transaction((tx) => tx.put("t", "k", value)));
      return outcome.kind === "error" ? (outcome.error as Error).name : outcome.kind;
    };
    const seen = await simulate(world, async () => {
      await node.start();
      const start = world.nowMs;
      const faults = applyDbPlan(world, db, plan, history);
      await world.sleep(1);
      const whileCut = await put(1);
      await world.sleep(start + 401 - world.nowMs);
      const replyLost = await put(2);
      await faults.healed();
      return { whileCut, replyLost, afterwards: await put(3) };
    });
    expect(seen).toEqual({ whileCut: "ConnectionLost", replyLost: "CommitOutcomeUnknown", afterwards: "ok" });
    expect(db.history().map((t) => t.writes)).toEqual([
      [{ table: "t", key: "k", row: 2 }],
      [{ table: "t", key: "k", row: 3 }],
    ]);
    const timeline = history.nemesisSaid();
    expect(timeline).toEqual([
      "p1 cannot reach the database for 300 ms (its connections break)",
      "p1's cut from the database ends",
      "the next 1 commit of p1 in 100 ms take effect, and the replies are lost",
    ]);
  });

  it("overlapping cuts of one node: it is reachable again only when the last one ends", async () => {
    const world = new World({ seed: 1 });
    const db = new SimDatabase(world, { brokenConnectionMs: 5 });
    const node = world.addNode("p1", (env: Env): Database => db.connect(env));
    const plan: DbFaultPlan = {
      events: [
        { atMs: 0, kind: "dbCut", node: "p1", forMs: 100 },
        { atMs: 10, kind: "dbCut", node: "p1", forMs: 20 },
      ],
    };
    const get = async (): Promise<string> => {
      const outcome = await node.invoke((api) => api.transaction((tx) => tx.get("t", "k")));
      return outcome.kind === "error" ? (outcome.error as Error).name : outcome.kind;
    };
    const seen = await simulate(world, async () => {
      await node.start();
      const start = world.nowMs;
      applyDbPlan(world, db, plan, new History(() => world.nowMs));
      await world.sleep(start + 40 - world.nowMs);
      const between = await get();
      await world.sleep(start + 110 - world.nowMs);
      return { between, after: await get() };
    });
    expect(seen).toEqual({ between: "ConnectionLost", after: "ok" });
  });
});
