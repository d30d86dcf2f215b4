/**
 * For tests: the PostgreSQL and Redis servers the real tests use, and whether they answer. This
 * machine's own by default (PostgreSQL with trust authentication, database `test`; Redis on 6379);
 * `LAB_TEST_DATABASE_URL` and `LAB_TEST_REDIS_URL` name others. Where nothing answers, those tests
 * are skipped with one line saying why.
 */
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { openPostgres, type RealDatabase } from "./db.ts";
import { chooseDatabase } from "./db-choose.ts";
import { openRedisServer } from "./redis-real.ts";

export const SERVER_URL = process.env.LAB_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Null if the server answers within 2 s, else why not. */
export async function serverProblem(url: string = SERVER_URL): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Checks the server once and, if it does not answer, says in one line which tests are skipped. */
export async function checkServer(what: string): Promise<string | null> {
  const problem = await serverProblem();
  if (problem !== null) {
    console.warn(
      `Skipping ${what}: nothing answers at ${SERVER_URL} (${problem}). Set LAB_TEST_DATABASE_URL to run them.`,
    );
  }
  return problem;
}

/**
 * For the describe block it is called in: the database `open` gives, opened before the block's
 * tests (PGlite takes seconds from its cache, longer without) and closed after them. The tests read
 * it by calling the returned function.
 */
export function databaseForBlock(open: () => Promise<RealDatabase>, openMs = 180_000): () => RealDatabase {
  let db: RealDatabase | undefined;
  beforeAll(async () => {
    db = await open();
  }, openMs);
  afterAll(async () => db?.close());
  return () => {
    if (db === undefined) throw new Error("the block's database is opened in beforeAll: read it inside a test");
    return db;
  };
}

/** The server at SERVER_URL, in a schema of its own (`schema` and this process's id), dropped on close. */
export function openServerSchema(schema: string, origin = "LAB_TEST_DATABASE_URL"): Promise<RealDatabase> {
  return openPostgres({
    connectionString: SERVER_URL,
    kind: "server",
    origin,
    schema: `${schema}_${process.pid}`,
    dropSchemaOnClose: true,
  });
}

/**
 * PGlite, opened through the chooser's own fallback path (no DATABASE_URL, and a runtime probe that
 * answers "none"), so that a test never starts a container.
 */
export function openFallbackPglite(): Promise<RealDatabase> {
  return chooseDatabase({
    env: {},
    findRuntime: async () => ({ found: false, why: "not looked for in this test" }),
    say: () => undefined,
  });
}

/** The Redis server the real-Redis tests use: this machine's own by default; `LAB_TEST_REDIS_URL` names another. */
export const REDIS_SERVER_URL = process.env.LAB_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Checks the Redis server once (1 s at most) and, if it does not answer, says in one line which tests are skipped. */
export async function checkRedisServer(what: string): Promise<string | null> {
  let problem: string | null = null;
  try {
    const redis = await openRedisServer({
      url: REDIS_SERVER_URL,
      kind: "server",
      origin: "LAB_TEST_REDIS_URL",
      connectTimeoutMs: 1000,
    });
    await redis.close();
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  if (problem !== null) {
    console.warn(`Skipping ${what}: ${problem}. Set LAB_TEST_REDIS_URL to run them.`);
  }
  return problem;
}
