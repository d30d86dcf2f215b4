/**
 * Bug zoo, lab 04: THE MARK BEFORE THE EFFECT, IN A TRANSACTION OF ITS OWN.
 *
 * "Record the key first, so that no other delivery starts the same work." The claim commits, and
 * then the effect runs in a second transaction. A consumer that dies between the two leaves a
 * claimed key without its effect: every later copy finds the key "seen" and skips it. The charge
 * is lost, and nobody is told.
 */
import type { Delivery, HandlerContext } from "#labs/04-idempotent-consumption/provided.ts";
import { handleWith } from "../../solution/handle-with.ts";
import { handlerParts } from "../../solution/parts.ts";

async function runOnce(ctx: HandlerContext, delivery: Delivery): Promise<void> {
  const key = ctx.businessKey(delivery);
  const claimed = await ctx.db.transaction((tx) => ctx.claim(tx, key));
  if (claimed !== "first") return;
  await ctx.db.transaction((tx) => ctx.apply(tx, delivery));
}

export const handle = handleWith({ ...handlerParts, runOnce });
