/**
 * Helpers for the unit tests of the world's outside services (db.test.ts, redis.test.ts): two
 * client processes, a and b, each booted with its own connection to one service; a call's outcome
 * in one word; the faults both services' tests aim at a node's gap.
 */
import { expect } from "vitest";
import type { Env } from "../env.ts";
import { applyPlan } from "../faults/apply.ts";
import { errorName } from "../outcome.ts";
import { History } from "../workloads/history.ts";
import type { Boundary, SimNode } from "./node.ts";
import { simulate } from "./testing.ts";
import type { World } from "./world.ts";

/** Two client processes of one world, a and b, not started yet, and what the tests do with them. */
export interface TwoClients<TApi> {
  world: World;
  nodes: { a: SimNode<TApi>; b: SimNode<TApi> };
  start(): Promise<void>;
  /** Runs `body` in simulated time once both clients started; fails the test on lab errors (as `simulate`). */
  run<T>(body: () => Promise<T>): Promise<T>;
  /**
   * Applies a fault plan that crashes node a (for 5 ms) right after its 2nd call through the
   * `boundary` gap; returns what the timeline says and when every fault is over.
   */
  crashAtSecondGap(boundary: Boundary): { said: () => string[]; healed: () => Promise<void> };
  /** Pauses node a right after its next call through the `boundary` gap, for `forMs`. */
  pauseAtNextGap(boundary: Boundary, forMs: number): void;
}

/** Adds nodes a and b to the world, each booting to `boot(env)`. */
export function twoClients<TApi>(world: World, boot: (env: Env) => TApi): TwoClients<TApi> {
  const nodes = { a: world.addNode("a", boot), b: world.addNode("b", boot) };
  const start = async (): Promise<void> => {
    await nodes.a.start();
    await nodes.b.start();
  };
  return {
    world,
    nodes,
    start,
    run: (body) =>
      simulate(world, async () => {
        await start();
        return body();
      }),
    crashAtSecondGap: (boundary) => {
      const history = new History(() => world.nowMs);
      const after = { boundary, count: 2, withinMs: 100 };
      const faults = applyPlan(world, { events: [{ atMs: 0, kind: "crash", node: "a", downMs: 5, after }] }, history);
      return { said: () => history.nemesisSaid(), healed: () => faults.healed() };
    },
    pauseAtNextGap: (boundary, forMs) =>
      nodes.a.armTrip(boundary, 1, () => {
        nodes.a.pause();
        world.at(world.nowMs + forMs, "resume", () => nodes.a.resume());
      }),
  };
}

/** Runs a call on the node's current process: its result, an error's name, or how the process ended. */
export async function outcomeOn<TApi, T>(node: SimNode<TApi>, call: (api: TApi) => Promise<T>): Promise<T | string> {
  const result = await node.invoke(call);
  if (result.kind === "ok") return result.value;
  if (result.kind === "error") return errorName(result.error);
  return result.kind;
}

/**
 * The same seed gives the same run; another seed, another. A race: one call a key, at once,
 * alternately from a and b (`call(node, key, i)`); then `observe` reads the service. For one seed,
 * the trace digest and what `observe` read are the same twice; for the next, the digest differs.
 */
export async function expectSeedDecides<TClients extends TwoClients<unknown>, TSeen>(
  clientsOf: (seed: number) => TClients,
  keys: readonly string[],
  call: (node: TClients["nodes"]["a"], key: string, i: number) => Promise<unknown>,
  observe: (clients: TClients) => TSeen,
): Promise<TSeen> {
  const race = async (seed: number): Promise<{ digest: string; seen: TSeen }> => {
    const c = clientsOf(seed);
    const result = await c.world.run(async () => {
      await c.start();
      return Promise.all(keys.map((key, i) => call(i % 2 === 0 ? c.nodes.a : c.nodes.b, key, i)));
    });
    return { digest: result.traceDigest, seen: observe(c) };
  };
  const first = await race(7);
  expect(await race(7)).toEqual(first);
  expect((await race(8)).digest).not.toBe(first.digest);
  return first.seen;
}
