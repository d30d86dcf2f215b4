/**
 * Bug zoo, lab 04: REDIS ALONE, WITH A SHORT TTL.
 *
 * "SET done NX EX: the first to set the key processes the message, every duplicate finds it set.
 * A duplicate comes within milliseconds, so a short expiry keeps Redis small." No inbox: Redis is
 * the only record. A resend that comes after the mark expired (or after Redis restarted empty)
 * finds nothing and applies the effect a second time.
 */
import {
  type Consumed,
  DatabaseError,
  type Delivery,
  doneKey,
  RedisError,
  type WindowContext,
} from "#labs/04-idempotent-consumption/provided.ts";

export async function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  const key = doneKey(ctx.businessKey(delivery));
  try {
    const first = await ctx.redis.set(key, "1", { nx: true, pxMs: 100 });
    if (first === null) return "done";
  } catch (error) {
    if (error instanceof RedisError) return "retryLater";
    throw error;
  }
  await ctx.quote(delivery);
  try {
    await ctx.db.transaction((tx) => ctx.apply(tx, delivery));
    return "done";
  } catch (error) {
    if (!(error instanceof DatabaseError)) throw error;
    // Not applied: let the retry set the key again.
    await ctx.redis.del(key).catch(() => 0);
    return "retryLater";
  }
}
