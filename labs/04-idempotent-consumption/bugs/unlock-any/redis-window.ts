/**
 * Bug zoo, lab 04: UNLOCK WITH A PLAIN DEL.
 *
 * "When I am finished, DEL the lease so that the next one need not wait for it to expire." But if
 * this handler outlived its lease (a pause, a slow database), the key is by now another
 * consumer's lease, and the DEL frees it while that consumer still works: a third takes it and
 * does the same work beside it. Every other step is the reference's.
 */
import type { Consumed, Delivery, Redis, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";
import { leaseKey } from "#labs/04-idempotent-consumption/provided.ts";
import { windowParts } from "../../solution/window-parts.ts";
import { handleWithWindowOf } from "../../solution/window-with.ts";

async function releaseLease(redis: Redis, key: string): Promise<void> {
  await redis.del(leaseKey(key)).catch(() => 0);
}

const handleBuggy = handleWithWindowOf({ ...windowParts, releaseLease });

export function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  return handleBuggy(ctx, delivery);
}
