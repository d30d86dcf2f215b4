/**
 * L3.B, the answer to a check: a claim, not a read. If the transaction has no outcome row yet, the
 * check inserts one saying rollback (`insertIfAbsent`): from then on the local transaction, which
 * inserts the same key, cannot commit. If a row is there, it is the answer. "Not yet" is thus
 * turned into "never" before it is reported, so a rollback answer is always true forever, even
 * for a producer paused between its half and its local transaction.
 *
 * While the database cannot be reached, or the claim's own commit went unanswered, the answer is
 * "unknown": the broker asks again later, and the row (if the claim committed) answers then.
 */
import { type Database, DatabaseError } from "#lab";
import type { Decision } from "#labs/03-transactional-messages/provided.ts";
import { OUTCOMES } from "./run-local.ts";

export async function answerCheck(db: Database, transactionId: string): Promise<Decision> {
  try {
    return await db.transaction(async (tx) => {
      if (await tx.insertIfAbsent(OUTCOMES, transactionId, { state: "rollback" })) return "rollback";
      const row = await tx.get<{ state: string }>(OUTCOMES, transactionId);
      return row?.state === "commit" ? "commit" : "rollback";
    });
  } catch (error) {
    if (error instanceof DatabaseError) return "unknown";
    throw error;
  }
}
