/**
 * Bug zoo, lab 03: AN UNKNOWN COMMIT TREATED AS FAILED.
 *
 * The reference producer with one part replaced: the decision after a failed local transaction.
 * "The commit threw, so the transaction failed: roll back the half." But CommitOutcomeUnknown
 * means the COMMIT was sent and no reply came: the transaction may well have committed. Rolling
 * the half back then loses the message of a committed order. The reference sends "unknown" and
 * lets the check read the outcome from the database.
 */
import { BusinessRejected, type Decision } from "#labs/03-transactional-messages/provided.ts";
import { producerParts } from "../../solution/parts.ts";
import { openProducerWith } from "../../solution/producer-with.ts";

function decide(error: unknown): Decision {
  if (error instanceof BusinessRejected) return "rollback";
  // The bug: every database error counts as "not committed", CommitOutcomeUnknown included.
  if (error instanceof Error && error.name !== "TypeError") return "rollback";
  throw error;
}

export const openTransactionalProducer = openProducerWith({ ...producerParts, decide });
