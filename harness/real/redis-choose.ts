/**
 * Which Redis a real run uses, in this order (docs/design/lab-04.md, section 6):
 * 1. the server `REDIS_URL` names (it must answer: a wrong URL is the caller's mistake, said in one
 *    line, never replaced by something else);
 * 2. Redis in a container that testcontainers starts (`redis:7-alpine`), if a container runtime is
 *    there (found as db-choose.ts finds one: cheap checks first, testcontainers only if they hint);
 * 3. the lab's Redis model on the real clock (redis-model.ts): no embedded Redis server exists for
 *    Node, so this is not a real server, and the one line says so.
 * The choice is said in one line (`say`), as `chooseDatabase` says its own.
 */
import { firstLine, openInContainer } from "./container.ts";
import { type ContainerRuntime, findContainerRuntime } from "./db-choose.ts";
import { openRedisModel } from "./redis-model.ts";
import { killableRedis, openRedisServer, type RealRedis } from "./redis-real.ts";

export interface ChooseRedisOptions {
  /** Environment variables (default `process.env`): `REDIS_URL`, `DOCKER_HOST`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Finds a container runtime (default: `findContainerRuntime`); tests replace it. */
  findRuntime?: (env: Readonly<Record<string, string | undefined>>) => Promise<ContainerRuntime>;
  /** Says which Redis was chosen, in one line (default: to stderr). */
  say?: (line: string) => void;
}

/** The part's one line when it falls back to the model (the design's words). */
export function modelLine(why: string): string {
  return `Redis: ${why}; no embedded Redis server exists for Node, so L4.D runs on the lab's Redis model with real time (same commands, same expiry rules; not a real server)`;
}

/** Opens Redis for a real run, as the header says. */
export async function chooseRedis(options: ChooseRedisOptions = {}): Promise<RealRedis> {
  const env = options.env ?? process.env;
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const url = env.REDIS_URL;
  if (url !== undefined && url !== "") {
    const redis = await openRedisServer({ url, kind: "server", origin: "REDIS_URL" });
    say(`Redis: ${redis.description}`);
    return redis;
  }
  const runtime = await (options.findRuntime ?? findContainerRuntime)(env);
  if (runtime.found) {
    try {
      const redis = await openContainer(runtime.where);
      say(`Redis: ${redis.description}`);
      return redis;
    } catch (error) {
      const redis = openModelRedis();
      say(modelLine(`no REDIS_URL; starting Redis at ${runtime.where} failed: ${firstLine(error)}`));
      return redis;
    }
  }
  const redis = openModelRedis();
  say(modelLine("no REDIS_URL and no container runtime"));
  return redis;
}

/** The model on the real clock, as a `RealRedis`: a connection per process, reset by forgetting every key. */
export function openModelRedis(): RealRedis {
  let model = openRedisModel();
  return {
    kind: "model",
    description: model.description,
    connect(clientId) {
      // The model the connection was opened on: a reset makes a new one for later connections.
      return killableRedis(model.connect(clientId), () => undefined);
    },
    async reset() {
      model = openRedisModel();
    },
    async close() {},
  };
}

/** Starts Redis in a container; closing it stops the container. */
function openContainer(where: string): Promise<RealRedis> {
  const redis = { image: "redis:7-alpine", port: 6379, ready: /Ready to accept connections/ };
  return openInContainer(redis, ({ host, port, stop }) =>
    openRedisServer({
      url: `redis://${host}:${port}`,
      kind: "container",
      origin: `a container started by testcontainers at ${where}`,
      onClose: stop,
    }),
  );
}
