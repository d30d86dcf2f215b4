/**
 * Everything lab code may import from the harness: `import { ... } from "#lab"`.
 *
 * Keep this surface small. Lab code gets the outside world only through its `Env`; this module adds
 * the errors it may throw or catch and a few pure helpers (checksums, text encoding).
 */
import { crc32 as zlibCrc32 } from "node:zlib";

// The business database of labs 03 and 04 (harness/db.ts): the same interface in simulation and for real.
// All of db.ts is written for lab code (its interface and the errors it throws), so it is re-exported
// whole rather than listed again here; harness-only database code lives in db-session.ts, sim/ and real/.
export * from "./db.ts";
export type {
  Clock,
  Disk,
  DiskErrorCode,
  Env,
  Logger,
  MessageHandler,
  Net,
  RequestHandler,
  RequestOutcome,
  Rng,
  Timer,
} from "./env.ts";
export { DiskError, diskThrough } from "./env.ts";
// Redis of lab 04 (harness/redis.ts): the same interface in simulation and for real.
export type { Redis, RedisErrorCode, SetOptions } from "./redis.ts";
export { RedisError, RedisOutcomeUnknown, RedisUnavailable } from "./redis.ts";

/**
 * Thrown by an untouched stub. The grader turns it into a "not implemented yet" verdict for the
 * part it names, so a learner can work through a lab one part at a time.
 */
export class NotImplemented extends Error {
  constructor(readonly part: string) {
    super(`${part} is not implemented yet`);
    this.name = "NotImplemented";
  }
}

/** Thrown when lab code reaches for the real clock or real randomness during a simulated run. */
export class DeterminismViolation extends Error {
  constructor(
    readonly call: string,
    readonly instead: string,
  ) {
    super(`${call} is not allowed in lab code: it makes runs unrepeatable. Use ${instead} instead.`);
    this.name = "DeterminismViolation";
  }
}

/** CRC-32 (the IEEE polynomial, as zlib, PNG and RocketMQ's body CRC use) of `data`. */
export function crc32(data: Uint8Array): number {
  return zlibCrc32(data) >>> 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The string in UTF-8 `bytes`; throws a TypeError on invalid UTF-8. */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
