/**
 * Bug zoo, lab 04: THE DONE MARK FIRST.
 *
 * "SET done NX before the work: it is atomic, so exactly one consumer gets OK and does the work,
 * and every other one answers done. No lease needed." But the mark then says "done" for work that
 * has not happened yet, and may never: when the work fails once (an aborted transaction, a crash
 * before the commit), its redelivery finds the mark and is acknowledged without the effect. And a
 * twin delivery is acknowledged while the first is still at work.
 */
import {
  type Consumed,
  type Delivery,
  doneKey,
  RedisError,
  TIMING,
  type WindowContext,
} from "#labs/04-idempotent-consumption/provided.ts";

export async function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  const key = ctx.businessKey(delivery);
  try {
    const first = await ctx.redis.set(doneKey(key), "1", { nx: true, pxMs: TIMING.windowMs });
    if (first === null) return "done";
  } catch (error) {
    // Without Redis, the database still deduplicates: carry on.
    if (!(error instanceof RedisError)) throw error;
  }
  await ctx.quote(delivery);
  return ctx.handle(ctx, delivery);
}
