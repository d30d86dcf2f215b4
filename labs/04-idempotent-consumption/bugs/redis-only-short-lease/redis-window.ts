/**
 * Bug zoo, lab 04: REDIS ALONE, WITH A SHORT LEASE.
 *
 * "The lease keeps everyone else out while I work, and the done mark keeps out whoever comes
 * later: the database needs no inbox. A handler takes 20 to 60 ms, so a 20 ms lease with a quick
 * path is plenty." But a lease is a promise about time, and a paused process keeps none: the
 * lease expires while its holder is frozen, a second consumer takes it and applies the effect,
 * and the first wakes and applies it again. Nothing in the database stops the second.
 */
import {
  type Consumed,
  DatabaseError,
  type Delivery,
  doneKey,
  leaseKey,
  RedisError,
  TIMING,
  type WindowContext,
} from "#labs/04-idempotent-consumption/provided.ts";

const LEASE_MS = 20;

export async function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  const key = ctx.businessKey(delivery);
  try {
    if ((await ctx.redis.get(doneKey(key))) !== null) return "done";
    const lease = await ctx.redis.set(leaseKey(key), ctx.consumerId, { nx: true, pxMs: LEASE_MS });
    if (lease === null) return "retryLater";
  } catch (error) {
    if (error instanceof RedisError) return "retryLater";
    throw error;
  }
  try {
    await ctx.quote(delivery);
    // The lease says nobody else is applying it: no inbox needed.
    await ctx.db.transaction((tx) => ctx.apply(tx, delivery));
    await ctx.redis.set(doneKey(key), "1", { pxMs: TIMING.windowMs }).catch(() => null);
    return "done";
  } catch (error) {
    if (error instanceof DatabaseError) return "retryLater";
    throw error;
  } finally {
    await ctx.redis.delIfEquals(leaseKey(key), ctx.consumerId).catch(() => false);
  }
}
