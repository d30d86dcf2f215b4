/**
 * Bug zoo, lab 04: ACKNOWLEDGED BEFORE THE COMMIT.
 *
 * "The transaction is sure to go through, and the broker should not wait for the database: start
 * it and answer done at once." The claim and the effect are still one transaction, but the answer
 * no longer waits for its commit: when the commit fails (a serialization failure, a cut, a crash of
 * the consumer right after it answered), the broker has already moved past the message.
 */
import type { Consumed, Delivery, HandlerContext } from "#labs/04-idempotent-consumption/provided.ts";

export async function handle(ctx: HandlerContext, delivery: Delivery): Promise<Consumed> {
  const key = ctx.businessKey(delivery);
  ctx.db
    .transaction(async (tx) => {
      if ((await ctx.claim(tx, key)) === "first") await ctx.apply(tx, delivery);
    })
    .catch((error: unknown) => ctx.env.log.warn({ error }, "applying the event failed"));
  return "done";
}
