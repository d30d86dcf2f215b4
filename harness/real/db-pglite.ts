/**
 * The business database on PGlite: real PostgreSQL compiled to WebAssembly, inside this process,
 * with the SQL of `db.ts`. Embedded, so a learner with nothing but `npm ci` can run the
 * real-database parts.
 *
 * PGlite has one connection, so it runs one transaction at a time; its `transaction()` queues the
 * others. Races cannot show, and lab code that waits inside a transaction for another transaction
 * would wait forever. Inside its transaction callback every statement goes through its `tx`
 * object: `db.query` there waits for the transaction to end, which it never does.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PGlite, Transaction as PgliteTransaction } from "@electric-sql/pglite";
import type { Transaction } from "../db.ts";
import { runTransaction } from "../db-session.ts";
import {
  inspect,
  killable,
  type Lifeline,
  type RealDatabase,
  type Run,
  runAll,
  SCHEMA_SQL,
  SqlDriver,
  shortVersion,
} from "./db.ts";

/** Where PGlite's initialised data directory is kept between runs (node_modules is never committed). */
export const defaultPgliteCacheDir = path.resolve(import.meta.dirname, "../../node_modules/.cache/mq-lab");

/**
 * Opens PGlite in memory. Its first open in a process takes seconds (compiling PostgreSQL's
 * WebAssembly and running initdb: 7 to 18 s measured on this 2-core machine under load), so keep
 * one per process and `reset` it between scenarios. Loading an initialised data directory skips
 * initdb (about 4.5 s instead of 12 in a fresh process, same load), so the first open saves one,
 * gzipped (4.5 MB), in `cacheDir` (`null`: none), named by PGlite's version and this file's schema.
 */
export async function openPglite(
  origin: string,
  cacheDir: string | null = defaultPgliteCacheDir,
): Promise<RealDatabase> {
  const { PGlite } = await import("@electric-sql/pglite");
  const cached = cacheDir === null ? null : pgliteCacheFile(cacheDir);
  if (cached !== null && existsSync(cached)) {
    try {
      const db = await PGlite.create({ loadDataDir: new Blob([await readFile(cached)]) });
      return await pgliteDatabase(db, origin, true);
    } catch {
      // A damaged or foreign cache is only slower: open afresh and write it again.
    }
  }
  const db = await PGlite.create();
  const opened = await pgliteDatabase(db, origin, false);
  if (cached !== null) {
    const dump = await db.dumpDataDir("gzip");
    await mkdir(path.dirname(cached), { recursive: true });
    const temporary = `${cached}.${process.pid}.tmp`;
    await writeFile(temporary, Buffer.from(await dump.arrayBuffer()));
    await rename(temporary, cached);
  }
  return opened;
}

/** The cache file for this PGlite version and this schema, or null if the version is unknown. */
function pgliteCacheFile(cacheDir: string): string | null {
  try {
    const manifest = path.resolve(import.meta.dirname, "../../node_modules/@electric-sql/pglite/package.json");
    const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
    const schema = createHash("sha256").update(SCHEMA_SQL.join(";")).digest("hex").slice(0, 12);
    return path.join(cacheDir, `pglite-${version}-${schema}.tar.gz`);
  } catch {
    return null;
  }
}

async function pgliteDatabase(db: PGlite, origin: string, fromCache: boolean): Promise<RealDatabase> {
  const run: Run = (sql, params) => db.query<Record<string, unknown>>(sql, params);
  await runAll(run, SCHEMA_SQL);
  const version = (await run("SELECT version() AS v", [])).rows[0]?.v as string;
  const pglite = /\((PGlite [^)]+)\)/.exec(version)?.[1] ?? "PGlite";
  const how = fromCache ? "in memory from a cached data directory" : "in memory";
  return {
    kind: "pglite",
    description: `${pglite} (${shortVersion(version)}, embedded, ${how}, one transaction at a time) (${origin})`,
    concurrent: false,
    connect: (client) => killable((life, work) => pgliteTransaction(db, client, life, work)),
    ...inspect(run),
    close: () => db.close(),
  };
}

/**
 * PGlite's `transaction(callback)` commits when the callback returns and rolls back when it
 * throws; `runTransaction` decides which, and the driver's commit and rollback only say so.
 */
async function pgliteTransaction<T>(
  db: PGlite,
  client: string,
  life: Lifeline,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return db.transaction(async (ptx: PgliteTransaction) => {
    let killed = false;
    // A kill ends the callback at once, so that PGlite rolls back and serves the next
    // transaction, whatever the dead process's work was waiting for.
    let onKilled: (error: Error) => void = () => undefined;
    const whenKilled = new Promise<never>((_, reject) => {
      onKilled = reject;
    });
    const onKill = life.whileOpen(() => {
      killed = true;
      onKilled(new Error("the process was killed"));
    });
    const run: Run = (sql, params) => {
      // A killed process's statements never reach the database; its transaction rolls back.
      if (killed) return Promise.reject(new Error("Connection terminated: the process was killed"));
      return ptx.query<Record<string, unknown>>(sql, params);
    };
    try {
      const driver = new SqlDriver(run, client, {
        commit: async () => {
          if (killed) throw new Error("Connection terminated: the process was killed");
        },
        rollback: async () => undefined,
      });
      return await Promise.race([runTransaction(driver, work), whenKilled]);
    } finally {
      onKill.release();
    }
  });
}
