/**
 * Bug zoo, lab 04: THE LEASE IS RELEASED ONLY ON SUCCESS.
 *
 * "Take the lease, do the work, mark it done, release the lease": written as four lines in a row,
 * with no `finally`. When the database answers "retryLater" (a serialization failure, a lost
 * commit reply), the handler returns early and the lease stays until it expires: every copy of
 * that operation handed out meanwhile hears "busy" and waits a whole lease for nothing. No effect
 * is ever doubled or lost; Redis just holds everyone back. Every other step is the reference's.
 */
import type { Consumed, Delivery, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";
import { windowParts } from "../../solution/window-parts.ts";

export async function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  const key = ctx.businessKey(delivery);
  if (await windowParts.seenDone(ctx.redis, key)) return "done";
  const lease = await windowParts.takeLease(ctx.redis, key, ctx.consumerId);
  if (lease === "busy" || lease === "unknown") return "retryLater";
  await ctx.quote(delivery);
  const answer = await ctx.handle(ctx, delivery);
  if (answer !== "done") return answer;
  await windowParts.markDone(ctx.redis, key);
  if (lease === "held") await windowParts.releaseLease(ctx.redis, key, ctx.consumerId);
  return answer;
}
