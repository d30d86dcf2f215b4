/**
 * Bug zoo, lab 04: THE MARK AFTER THE EFFECT, IN A TRANSACTION OF ITS OWN.
 *
 * "Mark only what really succeeded: look the key up, apply the effect, then record the key." A
 * consumer that dies after the effect committed and before the mark did leaves an effect without
 * its mark: the next copy looks the key up, finds nothing, and charges again.
 */
import { type Delivery, type HandlerContext, TABLES } from "#labs/04-idempotent-consumption/provided.ts";
import { handleWith } from "../../solution/handle-with.ts";
import { handlerParts } from "../../solution/parts.ts";

async function runOnce(ctx: HandlerContext, delivery: Delivery): Promise<void> {
  const key = ctx.businessKey(delivery);
  const seen = await ctx.db.transaction((tx) => tx.get(TABLES.inbox, key));
  if (seen !== undefined) return;
  await ctx.db.transaction((tx) => ctx.apply(tx, delivery));
  await ctx.db.transaction((tx) => ctx.claim(tx, key));
}

export const handle = handleWith({ ...handlerParts, runOnce });
