/**
 * Bug zoo, lab 04: THE DONE MARK IN `finally`.
 *
 * "Whatever happened, this delivery has been dealt with: mark it done in the finally block, next
 * to the release, so that nobody redoes it." But "retryLater" means the database did not apply
 * it: the mark then turns the retry away with "done", and the effect never happens. Every step is
 * the reference's; only where the mark is set differs.
 */
import type { Consumed, Delivery, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";
import { windowParts } from "../../solution/window-parts.ts";
import { handleWithWindowOf } from "../../solution/window-with.ts";

/** The window, with the mark moved into the database step's `finally`. */
const handleBuggy = handleWithWindowOf({ ...windowParts, markDone: async () => {} });

export function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  const key = ctx.businessKey(delivery);
  return handleBuggy(
    {
      ...ctx,
      async handle(handlerCtx, d) {
        try {
          return await ctx.handle(handlerCtx, d);
        } finally {
          await windowParts.markDone(ctx.redis, key);
        }
      },
    },
    delivery,
  );
}
