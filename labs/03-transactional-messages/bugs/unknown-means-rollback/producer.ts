/**
 * Bug zoo, lab 03: AN UNKNOWN COMMIT TREATED AS FAILED.
 *
 * The reference producer with one part replaced: the decision after a failed local transaction.
 * "The commit threw, so the transaction failed: roll back the half." But CommitOutcomeUnknown
 * means the COMMIT was sent and no reply came: the transaction may well have committed. Rolling
 * the half back then loses the message of a committed order. The reference sends "unknown" and
 * lets the check read the outcome from the database.
 */
import type { Database, Env } from "#lab";
import {
  BusinessRejected,
  type Decision,
  type TransactionalProducer,
  type TransactionalProducerOptions,
} from "#labs/03-transactional-messages/provided.ts";
import { answerCheck } from "../../solution/answer-check.ts";
import { openProducerWith } from "../../solution/producer-with.ts";
import { runLocal } from "../../solution/run-local.ts";
import { endWith } from "../../solution/send-end.ts";

function decide(error: unknown): Decision {
  if (error instanceof BusinessRejected) return "rollback";
  // The bug: every database error counts as "not committed", CommitOutcomeUnknown included.
  if (error instanceof Error && error.name !== "TypeError") return "rollback";
  throw error;
}

export function openTransactionalProducer(
  env: Env,
  db: Database,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  return openProducerWith({ runLocal, decide, answerCheck, endWith }, env, db, options);
}
