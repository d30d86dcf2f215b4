/**
 * Which real database a real-database part runs against, in this order:
 * 1. the server `DATABASE_URL` names (it must answer: `ServerUnreachable` otherwise, never a fallback);
 * 2. PostgreSQL in a container that testcontainers starts, if a container runtime is there;
 * 3. PGlite, embedded, in memory: always there after `npm ci`.
 * The choice is said in one line (`say`). A missing container runtime costs nothing: cheap checks
 * of the places testcontainers itself looks come first, and testcontainers (slow to import; 12.x
 * does not load on Node 20, so 11.x is pinned) is imported only when one of them finds something.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { firstLine, openInContainer } from "./container.ts";
import { describeUrl, openPostgres, type RealDatabase } from "./db.ts";
import { openPglite } from "./db-pglite.ts";
import { ServerUnreachable } from "./unreachable.ts";

/** Whether a container runtime answered, and if not, why not (for the one line). */
export type ContainerRuntime = { found: true; where: string } | { found: false; why: string };

export interface ChooseOptions {
  /** Environment variables (default `process.env`): `DATABASE_URL`, `DOCKER_HOST`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Finds a container runtime (default: `findContainerRuntime`); tests replace it. */
  findRuntime?: (env: Readonly<Record<string, string | undefined>>) => Promise<ContainerRuntime>;
  /** Says which database was chosen, in one line (default: to stderr). */
  say?: (line: string) => void;
  /** The schema on a server (default "lab"). */
  schema?: string;
  /** Where PGlite keeps its initialised data directory (default under node_modules/.cache; null: nowhere). */
  pgliteCacheDir?: string | null;
}

/** Opens the business database for a real run, as the header says. */
export async function chooseDatabase(options: ChooseOptions = {}): Promise<RealDatabase> {
  const env = options.env ?? process.env;
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const url = env.DATABASE_URL;
  let db: RealDatabase;
  if (url !== undefined && url !== "") {
    db = await openPostgres({
      connectionString: url,
      kind: "server",
      origin: "DATABASE_URL",
      schema: options.schema,
    }).catch((error: unknown) => {
      throw new ServerUnreachable(`PostgreSQL at ${describeUrl(url)} (DATABASE_URL)`, messageOf(error));
    });
  } else {
    const runtime = await (options.findRuntime ?? findContainerRuntime)(env);
    if (runtime.found) {
      db = await openContainer(runtime.where, options.schema).catch((error: unknown) =>
        openPglite(
          `no DATABASE_URL; starting PostgreSQL at ${runtime.where} failed: ${firstLine(error)}`,
          options.pgliteCacheDir,
        ),
      );
    } else {
      db = await openPglite(`no DATABASE_URL, no container runtime: ${runtime.why}`, options.pgliteCacheDir);
    }
  }
  say(`business database: ${db.description}`);
  return db;
}

/**
 * Looks for a container runtime where testcontainers 11 does (TestcontainersHostStrategy,
 * ConfigurationStrategy, UnixSocketStrategy, RootlessUnixSocketStrategy, NpipeSocketStrategy),
 * and asks testcontainers only if one of those places has something.
 */
export async function findContainerRuntime(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ContainerRuntime> {
  if (!containerRuntimeHint(env)) {
    return { found: false, why: "no DOCKER_HOST, no ~/.testcontainers.properties, no Docker socket" };
  }
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    const client = await getContainerRuntimeClient();
    return { found: true, where: `${client.info.containerRuntime.host} (testcontainers)` };
  } catch (error) {
    return { found: false, why: firstLine(error) };
  }
}

/** True if any place testcontainers looks for a runtime has something. */
export function containerRuntimeHint(env: Readonly<Record<string, string | undefined>>): boolean {
  if (process.platform === "win32") return true;
  if (env.DOCKER_HOST) return true;
  const home = os.homedir();
  const sockets = [
    path.join(home, ".testcontainers.properties"),
    "/var/run/docker.sock",
    env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, "docker.sock") : "",
    path.join(home, ".docker", "run", "docker.sock"),
    path.join(home, ".docker", "desktop", "docker.sock"),
    path.join("/run", "user", String(os.userInfo().uid), "docker.sock"),
  ];
  return sockets.some((p) => p !== "" && existsSync(p));
}

/** Starts PostgreSQL in a container; closing the database stops it. */
function openContainer(where: string, schema: string | undefined): Promise<RealDatabase> {
  const postgres = {
    image: "postgres:17-alpine",
    port: 5432,
    environment: { POSTGRES_HOST_AUTH_METHOD: "trust" },
    // The image's entry point starts the server twice (once to initialise): wait for the second.
    ready: /database system is ready to accept connections/,
    readyTimes: 2,
  };
  return openInContainer(postgres, ({ host, port, stop }) =>
    openPostgres({
      connectionString: `postgres://postgres@${host}:${port}/postgres`,
      kind: "container",
      origin: `a container started by testcontainers at ${where}`,
      schema,
      onClose: stop,
    }),
  );
}

/** An error's message; node-postgres' connection errors can have an empty one (then their code). */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return error.message !== "" ? error.message : typeof code === "string" ? code : error.name;
}
