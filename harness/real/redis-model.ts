/**
 * Redis's model on the real clock: the embedded default for a real run when no Redis server is
 * reachable (no `REDIS_URL`, no container runtime). No embedded Redis server exists for Node
 * (docs/design/lab-04.md, section 6): the packages that offer one download and compile Redis at
 * install, or emulate a client in JavaScript. So this is the simulation's own server model
 * (harness/sim/redis-server.ts), with real time for its clock, and every caller is told so.
 *
 * Each command runs in a later macrotask, one at a time and atomically, as on a real server; keys
 * expire on the real clock. There are no faults: a real run's faults are its processes' deaths.
 */
import { type Redis, redisOver } from "../redis.ts";
import { RedisServer } from "../sim/redis-server.ts";

export interface RedisModel {
  /** One line for the run's report: what this Redis is. */
  readonly description: string;
  readonly server: RedisServer;
  /** A connection for one process, named in the server's history. */
  connect(clientId: string, incarnation?: number): Redis;
}

export const REDIS_MODEL_DESCRIPTION =
  "the lab's Redis model on the real clock (no embedded Redis server exists for Node; set REDIS_URL to use a real one)";

export function openRedisModel(): RedisModel {
  const server = new RedisServer({ nowMs: () => Date.now() });
  return {
    description: REDIS_MODEL_DESCRIPTION,
    server,
    connect(clientId, incarnation = 1) {
      return redisOver(async (command) => {
        // A round trip's worth of asynchrony: the caller never sees a result in the same turn.
        await new Promise<void>((resolve) => setImmediate(resolve));
        return server.run(clientId, incarnation, command);
      });
    },
  };
}
