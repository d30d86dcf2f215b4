/**
 * For tests: the PostgreSQL server the real-database tests use, and whether it answers. This
 * machine's own by default (trust authentication, database `test`); `LAB_TEST_DATABASE_URL`
 * names another. Where nothing answers, those tests are skipped with one line saying why.
 */
import pg from "pg";
import type { RealDatabase } from "./db.ts";
import { chooseDatabase } from "./db-choose.ts";

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
