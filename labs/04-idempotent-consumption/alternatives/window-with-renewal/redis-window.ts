/**
 * Alternative window: the lease is renewed while its holder works, a watchdog as Redisson's
 * `RLock` keeps one (`lockWatchdogTimeout`, renewed every third of it). Every `leaseMs / 3` a
 * compare-and-extend (`pexpireIfEquals`) gives the lease another `leaseMs`, so a quote or a
 * database transaction slower than the lease keeps it. It differs from the reference in three
 * more ways, each one the contract allows:
 * - Redis unreachable when taking the lease: "retryLater" (the reference carries on without it);
 * - a renewal that finds the lease gone (expired during a pause, taken by another, or lost in a
 *   restart) stops the watchdog, and the database step is skipped with "retryLater" if it has not
 *   begun: another consumer may be at it, and the retry finds the mark or the claim;
 * - one function, no parts.
 * A renewal cannot save a paused holder (the timer is frozen with it): the lease then expires as
 * the reference's does, and the database's claim keeps the effect single.
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

const RENEW_EVERY_MS = Math.floor(TIMING.leaseMs / 3);

export async function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  const { redis, consumerId } = ctx;
  const key = ctx.businessKey(delivery);
  const lease = leaseKey(key);
  const ignore = (error: unknown): null => {
    if (error instanceof RedisError) return null;
    throw error;
  };

  if ((await redis.get(doneKey(key)).catch(ignore)) !== null) return "done";
  let taken: "OK" | null;
  try {
    taken = await redis.set(lease, consumerId, { nx: true, pxMs: TIMING.leaseMs });
  } catch (error) {
    ignore(error);
    // Unreachable, or the reply was lost: come back later rather than work without a lease.
    return "retryLater";
  }
  if (taken === null) return "retryLater";

  let held = true;
  const watchdog = ctx.env.clock.setInterval(RENEW_EVERY_MS, () => {
    if (!held) return;
    redis.pexpireIfEquals(lease, consumerId, TIMING.leaseMs).then(
      (renewed) => {
        if (!renewed) held = false;
      },
      // A failed renewal is not a lost lease: the next one may reach Redis.
      ignore,
    );
  });
  try {
    await ctx.quote(delivery);
    if (!held) return "retryLater";
    const answer = await ctx.handle(ctx, delivery);
    // The database answered "done": the effect is durable. Only now may the mark say so.
    if (answer === "done") await redis.set(doneKey(key), "1", { pxMs: TIMING.windowMs }).catch(ignore);
    return answer;
  } finally {
    watchdog.cancel();
    held = false;
    await redis.delIfEquals(lease, consumerId).catch(ignore);
  }
}
