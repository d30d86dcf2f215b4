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
  type Delivery,
  leaseKey,
  type Redis,
  RedisError,
  type WindowContext,
} from "#labs/04-idempotent-consumption/provided.ts";
import { windowParts } from "../../solution/window-parts.ts";
import { handleWithWindowOf, type Lease } from "../../solution/window-with.ts";
// The database step of lease-instead-of-inbox: the effect in a transaction of its own, no claim.
import { applyOnly } from "../lease-instead-of-inbox/redis-window.ts";

const LEASE_MS = 20;

async function takeLease(redis: Redis, key: string, owner: string): Promise<Lease> {
  try {
    return (await redis.set(leaseKey(key), owner, { nx: true, pxMs: LEASE_MS })) === "OK" ? "held" : "busy";
  } catch (error) {
    if (error instanceof RedisError) return "unknown";
    throw error;
  }
}

const withWindow = handleWithWindowOf({ ...windowParts, takeLease });

export function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  return withWindow({ ...ctx, handle: () => applyOnly(ctx, delivery) }, delivery);
}
