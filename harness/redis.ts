/**
 * Redis, as lab code sees it: a key-value server with expiring keys, used by lab 04 as a
 * processing lease and a dedup window in front of the business database.
 *
 * Lab code talks to it through this one interface, and the same code runs against two
 * implementations (as the business database, harness/db.ts):
 * - `harness/sim/redis.ts`: a model inside the simulated world, with simulated latency, keys that
 *   expire on the server's simulated clock, and faults a fault plan can aim;
 * - a real server (`REDIS_URL`, or one testcontainers starts), or, where none exists, the same model
 *   on the real clock: no embedded Redis server exists for Node (docs/design/lab-04.md, section 6).
 *
 * Only the commands a lease and a window need, each with the meaning it has in Redis 7:
 * - `SET key value [NX|XX] [PX ms]`: NX sets only an absent key, XX only a present one; PX gives
 *   the key `ms` milliseconds to live (a whole number, at least 1); a SET without PX removes any
 *   expiry the key had (Redis's SET without KEEPTTL does the same);
 * - `GET`, `DEL`, `PTTL`, `PEXPIRE` (an expiry of 0 or less deletes the key, as in Redis);
 * - two compare-and-act commands that a real server runs as one Lua script each (`EVAL`), so that
 *   nothing runs between the compare and the act: `delIfEquals` (the lock-release script of
 *   Redis's own distributed-lock documentation) and `pexpireIfEquals` (a lease renewal).
 *
 * ## Atomicity, expiry and clocks
 * - The server runs one command at a time, each at the instant it arrives: two `SET NX` of one key
 *   from two clients give exactly one "OK".
 * - A key expires on the *server's* clock: it is alive while the server's time is at most its
 *   deadline, and gone for every command after that. Clients' clocks play no part, so a client
 *   cannot tell from its own clock whether a lease it took is still alive (its clock may be
 *   skewed, the process may have been paused, the reply may have taken long).
 * - Nothing is durable: a restarted server may come back with none of its keys (this machine's
 *   Redis keeps nothing on disk; with RDB snapshots, the last seconds are lost). A key may also be
 *   evicted before its deadline when memory runs short (`maxmemory-policy volatile-*`).
 *
 * ## Errors: which outcome each one means
 * - `RedisUnavailable`: the server could not be reached, or the connection broke before the
 *   command was sent: it definitely did not run.
 * - `RedisOutcomeUnknown`: the command was sent, and its reply never came (the connection broke,
 *   the server restarted, the reply timed out). It may or may not have run: a `SET NX` answered
 *   so may hold the key, and only reading it later tells.
 * - A `RangeError` for an argument Redis would refuse (an expiry that is not a whole number of
 *   milliseconds, NX with XX): a programming error, thrown before anything is sent.
 */
import { ServiceError } from "./service-error.ts";

/** Options of `SET`. */
export interface SetOptions {
  /** Only if the key does not exist (a lease, a first claim). */
  nx?: boolean;
  /** Only if the key exists. */
  xx?: boolean;
  /** Time to live in milliseconds: a whole number, at least 1. Without it the key never expires. */
  pxMs?: number;
}

/** A connection to Redis, for one process (one node incarnation). Commands may run concurrently. */
export interface Redis {
  /** `SET key value [NX|XX] [PX ms]`: "OK", or null when NX or XX refused it. */
  set(key: string, value: string, options?: SetOptions): Promise<"OK" | null>;
  /** `GET key`: the value, or null for a key that does not exist (or has expired). */
  get(key: string): Promise<string | null>;
  /** `DEL key`: 1 if the key existed, else 0. */
  del(key: string): Promise<number>;
  /** `PTTL key`: whole milliseconds left (rounded up), -1 for a key without expiry, -2 for no key. */
  pttl(key: string): Promise<number>;
  /** `PEXPIRE key ms`: true if the key existed; an expiry of 0 or less deletes it. */
  pexpire(key: string, ms: number): Promise<boolean>;
  /** Deletes the key only if its value is `value` (one script): true if it did. */
  delIfEquals(key: string, value: string): Promise<boolean>;
  /** Sets the key's time to live only if its value is `value` (one script): true if it did. */
  pexpireIfEquals(key: string, value: string, ms: number): Promise<boolean>;
}

/** Why a Redis command failed: the error's `code`. */
export type RedisErrorCode = "unavailable" | "outcome-unknown";

/** Any failure Redis reports (a `RangeError` for a refused argument is not one). */
export class RedisError extends ServiceError<RedisErrorCode> {
  override name = "RedisError";

  /** True if the command definitely did not run: only `RedisOutcomeUnknown` says otherwise. */
  get definitelyNotRun(): boolean {
    return this.code !== "outcome-unknown";
  }
}

/** The server was unreachable, or the connection broke before the command was sent: it did not run. */
export class RedisUnavailable extends RedisError {
  constructor(detail: string) {
    super("unavailable", `Redis unavailable: ${detail}; the command did not run`);
    this.name = "RedisUnavailable";
  }
}

/** The command was sent and its reply never came: it may or may not have run. */
export class RedisOutcomeUnknown extends RedisError {
  constructor(detail: string) {
    super("outcome-unknown", `Redis command sent, reply lost (${detail}): it may or may not have run`);
    this.name = "RedisOutcomeUnknown";
  }
}

/** One command, as data: what the model executes and what its history records. */
export type RedisCommand =
  | { op: "set"; key: string; value: string; nx: boolean; xx: boolean; pxMs: number | null }
  | { op: "get"; key: string }
  | { op: "del"; key: string }
  | { op: "pttl"; key: string }
  | { op: "pexpire"; key: string; ms: number }
  | { op: "delIfEquals"; key: string; value: string }
  | { op: "pexpireIfEquals"; key: string; value: string; ms: number };

/** What each command returns. */
export type RedisResult = "OK" | null | string | number | boolean;

/**
 * Checks a command's arguments as Redis would, before anything is sent, and returns it as data.
 * Throws `RangeError` for what Redis refuses with an error reply (the implementations share it, so
 * that the model and a real server refuse the same calls).
 */
export function redisCommand(command: RedisCommand): RedisCommand {
  // A key or value that is not a string would be coerced by a real client ("undefined", "[object
  // Object]") and collide silently: refuse it, as the database refuses a value that is not JSON.
  if (typeof command.key !== "string") throw new TypeError(`Redis: a key must be a string, not ${typeof command.key}`);
  if ("value" in command && typeof command.value !== "string") {
    throw new TypeError(`Redis: a value must be a string, not ${typeof command.value}`);
  }
  if (command.op === "set") {
    if (command.nx && command.xx) throw new RangeError("SET: NX and XX together (Redis: syntax error)");
    if (command.pxMs !== null) wholeMs("SET PX", command.pxMs, 1);
  }
  if (command.op === "pexpire" || command.op === "pexpireIfEquals") wholeMs("PEXPIRE", command.ms, null);
  return command;
}

function wholeMs(what: string, ms: number, min: number | null): void {
  if (!Number.isSafeInteger(ms) || (min !== null && ms < min)) {
    throw new RangeError(
      `${what}: ${ms} is not a valid expire time (Redis: a whole number of ms${min ? ", >= 1" : ""})`,
    );
  }
}

/** The `SetOptions` of a call, as the command's fields. */
export function setCommand(key: string, value: string, options: SetOptions = {}): RedisCommand {
  return redisCommand({
    op: "set",
    key,
    value,
    nx: options.nx === true,
    xx: options.xx === true,
    pxMs: options.pxMs ?? null,
  });
}

/**
 * A `Redis` whose every command goes through `run`: each implementation supplies only how a
 * checked command reaches its server. An argument Redis refuses rejects before `run` is called.
 */
export function redisOver(run: (command: RedisCommand) => Promise<RedisResult>): Redis {
  const call = async <R extends RedisResult>(make: () => RedisCommand): Promise<R> => (await run(make())) as R;
  return {
    set: (key, value, options) => call(() => setCommand(key, value, options)),
    get: (key) => call(() => redisCommand({ op: "get", key })),
    del: (key) => call(() => redisCommand({ op: "del", key })),
    pttl: (key) => call(() => redisCommand({ op: "pttl", key })),
    pexpire: (key, ms) => call(() => redisCommand({ op: "pexpire", key, ms })),
    delIfEquals: (key, value) => call(() => redisCommand({ op: "delIfEquals", key, value })),
    pexpireIfEquals: (key, value, ms) => call(() => redisCommand({ op: "pexpireIfEquals", key, value, ms })),
  };
}

/** The command as Redis's own syntax, for traces and reports: `SET lease:o17/2 c1 NX PX 100`. */
export function describeCommand(command: RedisCommand): string {
  switch (command.op) {
    case "set":
      return [
        "SET",
        command.key,
        command.value,
        ...(command.nx ? ["NX"] : []),
        ...(command.xx ? ["XX"] : []),
        ...(command.pxMs === null ? [] : ["PX", String(command.pxMs)]),
      ].join(" ");
    case "get":
      return `GET ${command.key}`;
    case "del":
      return `DEL ${command.key}`;
    case "pttl":
      return `PTTL ${command.key}`;
    case "pexpire":
      return `PEXPIRE ${command.key} ${command.ms}`;
    case "delIfEquals":
      return `DEL ${command.key} IF = ${command.value}`;
    case "pexpireIfEquals":
      return `PEXPIRE ${command.key} ${command.ms} IF = ${command.value}`;
  }
}
