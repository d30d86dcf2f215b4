/**
 * L4.B's handler, assembled from its two decisions (parts.ts gives the reference's; a bug-zoo
 * entry replaces one): how the work is done (`runOnce`) and what a failure answers (`classify`).
 */
import type { Consumed, Delivery, HandlerContext } from "#labs/04-idempotent-consumption/provided.ts";

export interface HandlerParts {
  /** Applies the delivery's effect exactly once; resolves once that is durable. */
  runOnce(ctx: HandlerContext, delivery: Delivery): Promise<void>;
  /** The answer for an error `runOnce` threw (or a rethrow, for a programming error). */
  classify(error: unknown): Consumed;
}

export function handleWith(parts: HandlerParts) {
  return async (ctx: HandlerContext, delivery: Delivery): Promise<Consumed> => {
    try {
      await parts.runOnce(ctx, delivery);
    } catch (error) {
      return parts.classify(error);
    }
    // Only here is the effect known to be durable: acknowledge.
    return "done";
  };
}
