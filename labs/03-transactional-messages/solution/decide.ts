/**
 * L3.B, what a failed local transaction means. The business refused (BusinessRejected), or the
 * database says the transaction did not commit (`definitelyNotCommitted`: a unique violation
 * because a check claimed it, a conflict, a lost connection before COMMIT): roll back. The COMMIT
 * was sent and no reply came (CommitOutcomeUnknown): it may have committed, so "unknown", and the
 * check finds out from the database. Anything else is a bug, not an outcome: it is rethrown.
 */
import { DatabaseError } from "#lab";
import { BusinessRejected, type Decision } from "#labs/03-transactional-messages/provided.ts";

export function decide(error: unknown): Decision {
  if (error instanceof BusinessRejected) return "rollback";
  if (error instanceof DatabaseError) return error.definitelyNotCommitted ? "rollback" : "unknown";
  throw error;
}
