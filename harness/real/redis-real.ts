/**
 * Redis for a real run: the `Redis` interface (harness/redis.ts) over a real server through
 * `ioredis` 5 (a server from a URL, or one testcontainers started), or over the lab's model on the
 * real clock where no server exists (redis-model.ts). `redis-choose.ts` picks one.
 *
 * Each command is one Redis command; the two compare-and-act commands are one Lua script each
 * (`EVAL`), which Redis runs atomically: nothing of another client runs between the GET and the DEL
 * or PEXPIRE. This is the lock-release script of Redis's own distributed-lock documentation, and
 * its renewal twin.
 *
 * Keys: every key is stored under a prefix of this run (`lab:<pid>-<random>:<generation>:`), so
 * that runs sharing one server never see each other's keys; `reset` moves to the next generation
 * and deletes the previous one's keys.
 *
 * Errors, as harness/redis.ts defines them: a command issued while the connection is not ready
 * (never was, or broke) is `RedisUnavailable` (the client sends nothing then: no offline queue);
 * a command sent whose reply does not come within `replyTimeoutMs`, or whose connection breaks
 * while it waits, is `RedisOutcomeUnknown`; an error reply (a bug: a wrong type) is thrown as is.
 */
import { randomBytes } from "node:crypto";
import IORedis from "ioredis";
import {
  type Redis,
  type RedisCommand,
  RedisOutcomeUnknown,
  type RedisResult,
  RedisUnavailable,
  redisOver,
} from "../redis.ts";
import { ServerUnreachable } from "./unreachable.ts";

/** Where a real run's Redis came from. */
export type RealRedisKind = "server" | "container" | "model";

/** One Redis for a real run, opened once and reset between scenarios. */
export interface RealRedis {
  readonly kind: RealRedisKind;
  /** One line: which Redis this is ("Redis 7.0.15 at 127.0.0.1:6379 (REDIS_URL)"). */
  readonly description: string;
  /** A connection for one process, named `clientId`. */
  connect(clientId: string): RealRedisConnection;
  /** Forgets every key (between scenarios). */
  reset(): Promise<void>;
  /** Closes every connection (and stops a container). */
  close(): Promise<void>;
}

/** The `Redis` of one process, which can be killed. */
export interface RealRedisConnection extends Redis {
  /** The process died: the connection closes, pending and later commands never settle. */
  kill(): void;
}

/** Deletes `KEYS[1]` if its value is `ARGV[1]`: 1 if it did. */
export const DEL_IF_EQUALS_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;
/** Sets `KEYS[1]`'s time to live to `ARGV[2]` ms if its value is `ARGV[1]`: 1 if it did. */
export const PEXPIRE_IF_EQUALS_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;

export interface RedisServerOptions {
  url: string;
  kind: "server" | "container";
  /** Where the URL came from, for the description ("REDIS_URL"). */
  origin: string;
  /** How long to wait for the first connection; default 2 s. */
  connectTimeoutMs?: number;
  /** A command's reply must come within this long, or it is `RedisOutcomeUnknown`; default 2 s. */
  replyTimeoutMs?: number;
  /** Called after every connection closed (stops a container). */
  onClose?: () => Promise<void>;
}

/** Opens a real Redis server: one admin connection now (it must answer), one per process later. */
export async function openRedisServer(options: RedisServerOptions): Promise<RealRedis> {
  const where = describeRedisUrl(options.url);
  const client = (name: string): IORedis =>
    new IORedis(options.url, {
      lazyConnect: true,
      // CLIENT SETNAME: who is who in the server's CLIENT LIST.
      connectionName: name.replace(/[^\w#-]/g, "_"),
      connectTimeout: options.connectTimeoutMs ?? 2000,
      commandTimeout: options.replyTimeoutMs ?? 2000,
      // A real process's client reconnects; a killed one never does, and a run is seconds long:
      // no reconnection, no offline queue, no resending, so that each error means one thing.
      retryStrategy: () => null,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
    });
  const admin = client("lab-admin");
  // An unheard 'error' event would end the process. The connection's own error (ECONNREFUSED) is
  // kept: `connect` rejects only with "Connection is closed".
  let lastError: string | null = null;
  admin.on("error", (error: Error) => {
    lastError = error.message;
  });
  let version: string;
  try {
    await admin.connect();
    const info = String(await admin.call("INFO", "server"));
    version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? "?";
  } catch (error) {
    admin.disconnect();
    throw new ServerUnreachable(
      `Redis at ${where} (${options.origin})`,
      lastError ?? (error instanceof Error ? error.message : String(error)),
    );
  }
  const base = `lab:${process.pid}-${randomBytes(3).toString("hex")}`;
  let generation = 0;
  const prefix = () => `${base}:${generation}:`;
  const open = new Set<IORedis>();

  const deleteUnder = async (pattern: string): Promise<void> => {
    let cursor = "0";
    do {
      const [next, keys] = (await admin.call("SCAN", cursor, "MATCH", pattern, "COUNT", "500")) as [string, string[]];
      cursor = next;
      if (keys.length > 0) await admin.call("DEL", ...keys);
    } while (cursor !== "0");
  };

  return {
    kind: options.kind,
    description: `Redis ${version} at ${where} (${options.origin})`,
    connect(clientId) {
      const conn = client(clientId);
      conn.on("error", () => undefined);
      open.add(conn);
      const keyPrefix = prefix();
      // A failed connect shows as RedisUnavailable on each command (`runOn` checks the status).
      const ready = conn.connect().catch(() => undefined);
      return killableRedis(
        redisOver(async (command) => {
          await ready;
          return runOn(conn, keyPrefix, command);
        }),
        () => {
          conn.disconnect();
          open.delete(conn);
        },
      );
    },
    async reset() {
      const old = prefix();
      generation += 1;
      await deleteUnder(`${old}*`);
    },
    async close() {
      for (const conn of open) conn.disconnect();
      open.clear();
      await deleteUnder(`${base}:*`).catch(() => undefined);
      admin.disconnect();
      await options.onClose?.();
    },
  };
}

/** One checked command on a real connection, its reply in the interface's terms. */
async function runOn(conn: IORedis, prefix: string, command: RedisCommand): Promise<RedisResult> {
  if (conn.status !== "ready") throw new RedisUnavailable(`the connection is ${conn.status}`);
  const key = prefix + command.key;
  try {
    switch (command.op) {
      case "set": {
        const args: (string | number)[] = [key, command.value];
        if (command.nx) args.push("NX");
        if (command.xx) args.push("XX");
        if (command.pxMs !== null) args.push("PX", command.pxMs);
        return (await conn.call("SET", ...args)) === "OK" ? "OK" : null;
      }
      case "get":
        return ((await conn.call("GET", key)) as string | null) ?? null;
      case "del":
        return Number(await conn.call("DEL", key));
      case "pttl":
        return Number(await conn.call("PTTL", key));
      case "pexpire":
        return Number(await conn.call("PEXPIRE", key, command.ms)) === 1;
      case "delIfEquals":
        return Number(await conn.call("EVAL", DEL_IF_EQUALS_SCRIPT, 1, key, command.value)) === 1;
      case "pexpireIfEquals":
        return Number(await conn.call("EVAL", PEXPIRE_IF_EQUALS_SCRIPT, 1, key, command.value, command.ms)) === 1;
    }
  } catch (error) {
    throw redisError(error);
  }
}

/** A transport failure as the interface's error; an error reply (a bug) as it is. */
function redisError(error: unknown): unknown {
  if (!(error instanceof Error) || error.name === "ReplyError") return error;
  // The command was written: its reply timed out, or the connection broke while it waited.
  return new RedisOutcomeUnknown(error.message);
}

/**
 * `redis` as one process's connection: after `kill`, pending commands never settle (the process
 * never hears) and later ones never start. `onKill` closes what the process held.
 */
export function killableRedis(redis: Redis, onKill: () => void): RealRedisConnection {
  let dead = false;
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (dead) return new Promise<R>(() => {});
      return new Promise<R>((resolve, reject) => {
        call(...args).then(
          (value) => {
            if (!dead) resolve(value);
          },
          (error: unknown) => {
            if (!dead) reject(error);
          },
        );
      });
    };
  return {
    set: guard(redis.set),
    get: guard(redis.get),
    del: guard(redis.del),
    pttl: guard(redis.pttl),
    pexpire: guard(redis.pexpire),
    delIfEquals: guard(redis.delIfEquals),
    pexpireIfEquals: guard(redis.pexpireIfEquals),
    kill() {
      if (dead) return;
      dead = true;
      onKill();
    },
  };
}

/** "127.0.0.1:6379/0", without the user or password. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "6379"}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return "the configured server";
  }
}
