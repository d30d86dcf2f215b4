/**
 * L4.D's Redis steps, each one command (window-with.ts puts them in order). Each maps Redis's
 * failures to what they mean for the step: a step that only saves work degrades to doing the work.
 *
 * Where production does more: Redisson's `RLock` renews a lease while its holder works (a watchdog;
 * alternatives/window-with-renewal does that), and the Redlock algorithm takes a lease on a
 * majority of independent Redis servers. Neither makes a lease safe against a paused holder
 * (Kleppmann, "How to do distributed locking", 2016): only the database's claim is.
 */
import { doneKey, leaseKey, type Redis, RedisError, TIMING } from "#labs/04-idempotent-consumption/provided.ts";
import type { Lease, WindowParts } from "./window-with.ts";

/** Runs a Redis command; a Redis failure gives `fallback` (any other error is a bug: thrown). */
async function orElse<T>(command: Promise<T>, fallback: T): Promise<T> {
  try {
    return await command;
  } catch (error) {
    if (error instanceof RedisError) return fallback;
    throw error;
  }
}

/** GET done:<key>. Redis down or silent: "not known to be done", so the database decides. */
async function seenDone(redis: Redis, key: string): Promise<boolean> {
  return (await orElse(redis.get(doneKey(key)), null)) !== null;
}

/**
 * SET lease:<key> <owner> NX PX leaseMs: one command, so that two consumers racing for the lease
 * get one "OK" between them (a GET then a SET would let both through).
 */
async function takeLease(redis: Redis, key: string, owner: string): Promise<Lease> {
  try {
    const reply = await redis.set(leaseKey(key), owner, { nx: true, pxMs: TIMING.leaseMs });
    return reply === "OK" ? "held" : "busy";
  } catch (error) {
    if (!(error instanceof RedisError)) throw error;
    // Unavailable: the SET never ran. Outcome unknown: it may have run, and the lease be ours.
    return error.definitelyNotRun ? "noRedis" : "unknown";
  }
}

/**
 * Compare-and-delete (one script on a real server): if our lease expired while we worked, the
 * key may now be another consumer's lease, and a plain DEL would free it for a third. A failure
 * leaves the lease to expire on its own.
 */
async function releaseLease(redis: Redis, key: string, owner: string): Promise<void> {
  await orElse(redis.delIfEquals(leaseKey(key), owner), false);
}

/**
 * SET done:<key> 1 PX windowMs, after the database committed: a duplicate within the window is
 * answered from Redis. The window outlasts `TIMING.redeliveryWindowMs`, so that no redelivery the
 * workloads promise arrives after it; a mark that is lost (reply lost, restart, eviction) costs a
 * database transaction that finds the key "seen", never a second effect.
 */
async function markDone(redis: Redis, key: string): Promise<void> {
  await orElse(redis.set(doneKey(key), "1", { pxMs: TIMING.windowMs }), null);
}

export const windowParts: WindowParts = { seenDone, takeLease, releaseLease, markDone };
