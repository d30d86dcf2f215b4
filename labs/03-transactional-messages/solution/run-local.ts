/**
 * L3.B, the local transaction: the business writes and the row that records the outcome for later
 * checks (`local-tx/<transaction id>` = commit) commit together, or not at all. Separately, a crash
 * between the two commits would leave a committed order with no record, and the check would
 * answer rollback for it.
 *
 * The row is inserted, not upserted: the key is unique, so if a check has already claimed the
 * transaction for rollback (answer-check.ts), this insert fails with UniqueViolation and the
 * business writes roll back with it. Whichever of the two commits first wins, by the database's
 * unique key, with no timing assumption at all.
 */
import type { Database } from "#lab";
import type { LocalTransaction } from "#labs/03-transactional-messages/provided.ts";

/** Where a producer records each transaction's outcome. */
export const OUTCOMES = "local-tx";

export async function runLocal(db: Database, transactionId: string, local: LocalTransaction): Promise<void> {
  await db.transaction(async (tx) => {
    await local(tx);
    await tx.insert(OUTCOMES, transactionId, { state: "commit" });
  });
}
