/**
 * Bug zoo, lab 04: THE DONE MARK NEVER EXPIRES.
 *
 * "A done operation stays done, so why would its mark expire?" The mark is set with a plain
 * `SET done:<key> 1`, no PX. Every duplicate is still answered from it, and no effect is doubled,
 * but Redis keeps one key per operation ever consumed: its memory grows without end until it
 * evicts or refuses writes. The window exists because a duplicate comes only within a bounded
 * time (the redelivery window); the mark needs to last that long, not forever. Every other step
 * is the reference's.
 */
import type { Consumed, Delivery, Redis, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";
import { doneKey, RedisError } from "#labs/04-idempotent-consumption/provided.ts";
import { windowParts } from "../../solution/window-parts.ts";
import { handleWithWindowOf } from "../../solution/window-with.ts";

async function markDone(redis: Redis, key: string): Promise<void> {
  try {
    await redis.set(doneKey(key), "1");
  } catch (error) {
    if (!(error instanceof RedisError)) throw error;
  }
}

const handleBuggy = handleWithWindowOf({ ...windowParts, markDone });

export function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  return handleBuggy(ctx, delivery);
}
