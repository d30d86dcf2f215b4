/**
 * Bug zoo, lab 04: THE LEASE INSTEAD OF THE INBOX.
 *
 * "I hold the lease, so nobody else is applying this operation, and the done mark turns away
 * whoever comes later: the inbox row is redundant, skip it and save a write." Every Redis step is
 * the reference's; only the database work is the bare effect. A lease expires under a paused
 * holder, and a done mark is forgotten when Redis restarts or evicts it: then a second consumer
 * applies the effect again, and nothing in the database stops it.
 */
import type { Consumed, Delivery, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";
import { DatabaseError } from "#labs/04-idempotent-consumption/provided.ts";
import { windowParts } from "../../solution/window-parts.ts";
import { handleWithWindowOf } from "../../solution/window-with.ts";

const withWindow = handleWithWindowOf(windowParts);

/** The effect alone, in its own transaction: no claim. */
export async function applyOnly(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  try {
    await ctx.db.transaction((tx) => ctx.apply(tx, delivery));
    return "done";
  } catch (error) {
    if (error instanceof DatabaseError) return "retryLater";
    throw error;
  }
}

export function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  return withWindow({ ...ctx, handle: () => applyOnly(ctx, delivery) }, delivery);
}
