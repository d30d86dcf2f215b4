/**
 * Bug zoo, lab 04: A LEASE WITHOUT NX.
 *
 * "SET the lease to my id, then GET it back: if it still says me, it is mine." Two consumers that
 * race both SET (the second overwrites the first's lease), and the first may read its own id back
 * before the second's SET lands: both go on, each believing it holds the lease. SET NX makes Redis
 * choose one; a SET and a GET cannot. Every other step is the reference's.
 */
import type { Consumed, Delivery, Redis, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";
import { leaseKey, RedisError, TIMING } from "#labs/04-idempotent-consumption/provided.ts";
import { windowParts } from "../../solution/window-parts.ts";
import { handleWithWindowOf, type Lease } from "../../solution/window-with.ts";

async function takeLease(redis: Redis, key: string, owner: string): Promise<Lease> {
  try {
    await redis.set(leaseKey(key), owner, { pxMs: TIMING.leaseMs });
    return (await redis.get(leaseKey(key))) === owner ? "held" : "busy";
  } catch (error) {
    if (error instanceof RedisError) return "unknown";
    throw error;
  }
}

const handleBuggy = handleWithWindowOf({ ...windowParts, takeLease });

export function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  return handleBuggy(ctx, delivery);
}
