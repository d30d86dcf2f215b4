/**
 * L4.D's handler, assembled from its Redis steps (window-parts.ts gives the reference's; a bug-zoo
 * entry replaces one). The order of the steps is the lesson, so it lives here, in one function:
 *
 *   1. done mark?      GET done:<key>                        -> "done", no work at all
 *   2. lease           SET lease:<key> <me> NX PX leaseMs    -> someone else's: "retryLater"
 *   3. the work        quote (slow), then the L4.B handler   (the database transaction: the truth)
 *   4. done mark       SET done:<key> 1 PX windowMs          (only after the database said "done")
 *   5. release         compare-and-delete lease:<key>        (only if it is still mine)
 *
 * Redis only saves work: step 3's database transaction claims the key in the inbox, so that a
 * second run of it (a lease that expired during a pause, a done mark that Redis forgot) is
 * harmless. What Redis adds is that, while everything is well, a duplicate neither quotes nor
 * touches the database.
 */
import type { Redis } from "#lab";
import type { Consumed, Delivery, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";

/** What taking the lease gave: mine, someone else's, unknown (reply lost), or no Redis at all. */
export type Lease = "held" | "busy" | "unknown" | "noRedis";

export interface WindowParts {
  /** True only if Redis says the key's effect is durable (its done mark exists). */
  seenDone(redis: Redis, key: string): Promise<boolean>;
  /** Tries to take the key's lease for `owner`. */
  takeLease(redis: Redis, key: string, owner: string): Promise<Lease>;
  /** Gives the lease back, if it is still `owner`'s. Never throws for Redis's failures. */
  releaseLease(redis: Redis, key: string, owner: string): Promise<void>;
  /** Records that the key's effect is durable (best effort). */
  markDone(redis: Redis, key: string): Promise<void>;
}

export function handleWithWindowOf(parts: WindowParts) {
  return async (ctx: WindowContext, delivery: Delivery): Promise<Consumed> => {
    const key = ctx.businessKey(delivery);
    if (await parts.seenDone(ctx.redis, key)) return "done";

    const lease = await parts.takeLease(ctx.redis, key, ctx.consumerId);
    // Busy: its holder is at work; the retry finds the done mark, or the lease expired. Unknown:
    // the SET may have run, so the lease may be ours; acting on it could make two workers, and
    // waiting costs one retry delay, after which the lease has expired or the mark is there.
    if (lease === "busy" || lease === "unknown") return "retryLater";

    // Held, or Redis unreachable: without Redis there is no lease to respect, and the database
    // still deduplicates, so carry on (the alternative, "retryLater", stalls the queue for the
    // whole outage).
    try {
      await ctx.quote(delivery);
      const answer = await ctx.handle(ctx, delivery);
      // -- the commit point is inside `handle`: from here on the effect is durable (or not, if
      // it answered "retryLater"). Only a durable effect earns a done mark.
      if (answer === "done") await parts.markDone(ctx.redis, key);
      return answer;
    } finally {
      if (lease === "held") await parts.releaseLease(ctx.redis, key, ctx.consumerId);
    }
  };
}
