/**
 * The real-time Redis model keeps the same one-client contract as the simulated Redis (the
 * behaviour suite, with real sleeps), and says what it is.
 */
import { describe, expect, it } from "vitest";
import { describeRedisBehaviour } from "../redis-behaviour.ts";
import { openRedisModel } from "./redis-model.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describeRedisBehaviour("Redis model on the real clock", (body) => body(openRedisModel().connect("t1"), sleep));

describe("Redis model on the real clock", () => {
  it("says it is not a real server, and records who ran what", async () => {
    const model = openRedisModel();
    const [a, b] = [model.connect("c1"), model.connect("c2")];
    const seen = await Promise.all([a.set("lease", "c1", { nx: true }), b.set("lease", "c2", { nx: true })]);
    expect([...seen].sort()).toEqual(["OK", null]);
    expect(model.description).toContain("no embedded Redis server exists for Node");
    expect(model.server.history.map((h) => h.nodeId).sort()).toEqual(["c1", "c2"]);
  });
});
