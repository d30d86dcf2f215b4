/**
 * L4.B The effect and its mark in one transaction (the inbox pattern).
 *
 * A consumer cannot stop duplicates from arriving; it can make the second arrival harmless. It
 * records "this operation was applied" (the inbox row, by business key) in the same database
 * transaction as the effect, so that the database holds both or neither, whatever dies when. Then
 * every delivery does the same thing: claim the key; apply the effect only if the claim is first;
 * commit; acknowledge.
 *
 * Assembled in handle-with.ts from run-once.ts (the transaction) and classify.ts (what a failure
 * answers).
 */
import type { Consumed, Delivery, HandlerContext } from "#labs/04-idempotent-consumption/provided.ts";
import { handleWith } from "./handle-with.ts";
import { handlerParts } from "./parts.ts";

const handleReference = handleWith(handlerParts);

export function handle(ctx: HandlerContext, delivery: Delivery): Promise<Consumed> {
  return handleReference(ctx, delivery);
}
