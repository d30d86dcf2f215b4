/**
 * The one transaction of L4.B: the claim and the effect commit together or not at all.
 *
 * Walk the crash points. Before the commit: nothing is durable, the delivery comes again, the claim
 * is free, the effect runs. After the commit and before the answer: both are durable, the delivery
 * comes again, the claim says "seen", nothing runs twice. There is no point between the mark and
 * the effect, because they are one commit. (Two transactions, mark first: a crash between them
 * leaves a mark without its effect, and every later copy skips it: lost. Effect first: a crash
 * between them leaves an effect without its mark, and the next copy applies it again: twice.)
 */
import type { Delivery, HandlerContext } from "#labs/04-idempotent-consumption/provided.ts";

export async function runOnce(ctx: HandlerContext, delivery: Delivery): Promise<void> {
  const key = ctx.businessKey(delivery);
  await ctx.db.transaction(async (tx) => {
    // "seen": a committed transaction applied this operation already; commit the empty
    // transaction and acknowledge the delivery.
    if ((await ctx.claim(tx, key)) === "first") await ctx.apply(tx, delivery);
  });
}
