/**
 * What L4.B answers when its transaction threw: the broker's at-least-once delivery is the retry
 * loop, so "retryLater" is always safe (the claim makes a second run harmless) and "done" is safe
 * only for an effect known to be durable.
 *
 * - TransactionConflict: the database aborted the transaction (a serialization failure, a
 *   deadlock). Nothing was committed: try again later.
 * - ConnectionLost: the connection broke before the commit was sent. Nothing was committed.
 * - CommitOutcomeUnknown: the commit was sent and no reply came. It may have committed or not; the
 *   next delivery finds out, because its claim will say "seen" if it did.
 * Anything else (a TypeError, the effect's own error) is a bug, not a state of the world: rethrow
 * it, so that it is seen instead of retried for ever.
 */
import {
  CommitOutcomeUnknown,
  ConnectionLost,
  type Consumed,
  TransactionConflict,
} from "#labs/04-idempotent-consumption/provided.ts";

export function classify(error: unknown): Consumed {
  if (error instanceof TransactionConflict) return "retryLater";
  if (error instanceof ConnectionLost) return "retryLater";
  if (error instanceof CommitOutcomeUnknown) return "retryLater";
  throw error;
}
