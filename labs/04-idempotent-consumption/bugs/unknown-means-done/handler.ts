/**
 * Bug zoo, lab 04: A COMMIT WITH NO REPLY COUNTED AS DONE.
 *
 * "The commit was sent; it surely went through: acknowledge, so the queue moves on." But
 * CommitOutcomeUnknown means the reply was lost, not that the commit landed: when the connection
 * was cut before the commit reached the database, nothing committed, and the acknowledged
 * delivery never comes again. Only "retryLater" is safe: the next delivery's claim finds out.
 */
import {
  CommitOutcomeUnknown,
  ConnectionLost,
  type Consumed,
  TransactionConflict,
} from "#labs/04-idempotent-consumption/provided.ts";
import { handleWith } from "../../solution/handle-with.ts";
import { handlerParts } from "../../solution/parts.ts";

function classify(error: unknown): Consumed {
  if (error instanceof CommitOutcomeUnknown) return "done";
  if (error instanceof TransactionConflict || error instanceof ConnectionLost) return "retryLater";
  throw error;
}

export const handle = handleWith({ ...handlerParts, classify });
