/**
 * Bug zoo, lab 04: A FAILED TRANSACTION ACKNOWLEDGED.
 *
 * "Log the error and acknowledge: one bad message must not block the queue." A serialization
 * failure or a lost connection is not a bad message: the transaction did not commit, and
 * acknowledging it tells the broker the work is done. The effect is lost. Retrying is what the
 * inbox makes safe.
 */
import { type Consumed, DatabaseError } from "#labs/04-idempotent-consumption/provided.ts";
import { handleWith } from "../../solution/handle-with.ts";
import { handlerParts } from "../../solution/parts.ts";

function classify(error: unknown): Consumed {
  if (error instanceof DatabaseError) return "done";
  throw error;
}

export const handle = handleWith({ ...handlerParts, classify });
