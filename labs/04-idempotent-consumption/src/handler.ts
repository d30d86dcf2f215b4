/**
 * Lab 04, L4.B: the effect and its mark in one transaction. This is your file.
 *
 * The inbox pattern: the record "this operation was applied" is written in the same database
 * transaction as the effect, so that both happen or neither does. A mark written before the
 * effect, in a transaction of its own, loses the effect if the process dies in between (the next
 * delivery sees the mark and skips); a mark written after it applies the effect twice.
 */
import { NotImplemented } from "#lab";
import type { Consumed, Delivery, HandlerContext } from "#labs/04-idempotent-consumption/provided.ts";

/**
 * Handles one delivery: applies its effect exactly once, however often the delivery comes.
 *
 * Contract: in ONE database transaction, `ctx.claim(tx, ctx.businessKey(delivery))`; if it says
 * "first", `ctx.apply(tx, delivery)`; commit. Answer "done" once that transaction committed, or
 * once the key was found "seen" (the effect is already durable). Answer "retryLater" when it may
 * not have committed: `TransactionConflict` (the database aborted it), `ConnectionLost`,
 * `CommitOutcomeUnknown` (the next delivery finds out: the claim makes running it again safe).
 * Never "done" for a transaction that may not have committed. Any other error is a programming
 * error: let it throw.
 *
 * Hints: list the points where the process can die (before the transaction, after the commit but
 * before the answer) and ask what the next delivery finds at each.
 */
export async function handle(ctx: HandlerContext, delivery: Delivery): Promise<Consumed> {
  // YOUR CODE HERE (L4.B)
  void ctx;
  void delivery;
  throw new NotImplemented("L4.B");
}
