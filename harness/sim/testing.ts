/** Helpers for the simulation's own unit tests: a world with one node whose env is exposed. */
import type { Env } from "../env.ts";
import type { SimNode } from "./node.ts";
import { World, type WorldOptions } from "./world.ts";

export interface EnvWorld {
  world: World;
  node: SimNode<Env>;
}

/** A world whose node `n1` boots to its own env, so a test can drive the env directly. */
export function envWorld(options: Partial<WorldOptions> = {}, nodeId = "n1"): EnvWorld {
  const world = new World({ seed: 1, ...options });
  const node = world.addNode<Env>(nodeId, (env) => env);
  return { world, node };
}

/** Runs `body` in simulated time, in an `envWorld` whose node has booted to its env. */
export async function inBootedNode<T>(
  options: Partial<WorldOptions>,
  body: (booted: EnvWorld & { env: Env }) => Promise<T>,
): Promise<T> {
  const { world, node } = envWorld(options);
  return simulate(world, async () => {
    await node.start();
    return body({ world, node, env: await envOf(node) });
  });
}

/** Runs `body` in the world's simulated time; fails the test if lab errors occurred. */
export async function simulate<T>(world: World, body: () => Promise<T>): Promise<T> {
  const result = await world.run(body);
  if (result.labErrors.length > 0) throw result.labErrors[0]?.error;
  if (result.outcome === null) throw new Error(`the simulation ended without finishing: ${JSON.stringify(result.end)}`);
  if (result.outcome.kind === "error") throw result.outcome.error;
  return result.outcome.value;
}

/** The env of the node's current incarnation (after start()). */
export async function envOf(node: SimNode<Env>): Promise<Env> {
  const outcome = await node.invoke((env) => env);
  if (outcome.kind !== "ok") throw new Error(`node ${node.id} is not up: ${outcome.kind}`);
  return outcome.value;
}
