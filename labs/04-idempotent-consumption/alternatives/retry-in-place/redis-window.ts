/**
 * Alternative window: the same steps as the reference, in one function, with two differences the
 * contract allows. The done mark is checked again after the lease is taken (a consumer that held
 * the lease before may have finished just now, so this skips a quote); and when Redis cannot be
 * reached, the window answers "retryLater" for the lease but carries on when only the done mark
 * could not be read.
 */
import {
  type Consumed,
  type Delivery,
  doneKey,
  leaseKey,
  RedisError,
  TIMING,
  type WindowContext,
} from "#labs/04-idempotent-consumption/provided.ts";

/** Redis's answer, or `fallback` if Redis failed (any other error is a bug: rethrown). */
async function tryRedis<T>(command: Promise<T>, fallback: T): Promise<T> {
  try {
    return await command;
  } catch (error) {
    if (error instanceof RedisError) return fallback;
    throw error;
  }
}

export async function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  const key = ctx.businessKey(delivery);
  const isDone = async (): Promise<boolean> => (await tryRedis(ctx.redis.get(doneKey(key)), null)) === "1";
  if (await isDone()) return "done";
  const lease = await tryRedis(ctx.redis.set(leaseKey(key), ctx.consumerId, { nx: true, pxMs: TIMING.leaseMs }), null);
  if (lease === null) return "retryLater";
  try {
    if (await isDone()) return "done";
    await ctx.quote(delivery);
    const answer = await ctx.handle(ctx, delivery);
    if (answer === "done") await tryRedis(ctx.redis.set(doneKey(key), "1", { pxMs: TIMING.windowMs }), null);
    return answer;
  } finally {
    await tryRedis(ctx.redis.delIfEquals(leaseKey(key), ctx.consumerId), false);
  }
}
