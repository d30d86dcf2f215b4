/**
 * Bug zoo, lab 04: THE HANDLER CLAIMS THE MESSAGE ID.
 *
 * The handler does everything right (one transaction, claim then effect, retry what may not have
 * committed) except that it claims the message id it has at hand instead of the business key it
 * is given (`ctx.businessKey`). Redeliveries are deduplicated; an operation the producer published
 * again as a new message is applied again.
 */
import type { Delivery, HandlerContext } from "#labs/04-idempotent-consumption/provided.ts";
import { handleWith } from "../../solution/handle-with.ts";
import { handlerParts } from "../../solution/parts.ts";

async function runOnce(ctx: HandlerContext, delivery: Delivery): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    if ((await ctx.claim(tx, delivery.messageId)) === "first") await ctx.apply(tx, delivery);
  });
}

export const handle = handleWith({ ...handlerParts, runOnce });
