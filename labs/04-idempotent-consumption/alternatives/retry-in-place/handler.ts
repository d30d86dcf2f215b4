/**
 * Alternative handler: it retries in place before handing a failure back to the broker. A
 * serialization failure or a deadlock is tried again at once, up to three times; a commit whose
 * reply was lost is run again once, and the claim tells whether the first one landed. Only then
 * does it answer "retryLater". (The reference answers "retryLater" at the first failure and lets
 * the broker's redelivery be the only retry.)
 */
import {
  CommitOutcomeUnknown,
  ConnectionLost,
  type Consumed,
  type Delivery,
  type HandlerContext,
  TransactionConflict,
} from "#labs/04-idempotent-consumption/provided.ts";

const CONFLICT_RETRIES = 3;

async function applyOnce(ctx: HandlerContext, delivery: Delivery): Promise<void> {
  const key = ctx.businessKey(delivery);
  await ctx.db.transaction(async (tx) => {
    const claimed = await ctx.claim(tx, key);
    if (claimed === "first") await ctx.apply(tx, delivery);
  });
}

export async function handle(ctx: HandlerContext, delivery: Delivery): Promise<Consumed> {
  let conflicts = 0;
  let unknownOutcomes = 0;
  for (;;) {
    try {
      await applyOnce(ctx, delivery);
      return "done";
    } catch (error) {
      if (error instanceof TransactionConflict && conflicts < CONFLICT_RETRIES) {
        conflicts += 1;
        continue;
      }
      if (error instanceof CommitOutcomeUnknown && unknownOutcomes === 0) {
        unknownOutcomes += 1;
        continue;
      }
      if (error instanceof TransactionConflict || error instanceof CommitOutcomeUnknown) return "retryLater";
      if (error instanceof ConnectionLost) return "retryLater";
      throw error;
    }
  }
}
