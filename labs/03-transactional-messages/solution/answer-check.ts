/**
 * L3.B, the answer to a check: a claim, not a read. If the transaction has no outcome row yet, the
 * check inserts one saying rollback (`insertIfAbsent`): from then on the local transaction, which
 * inserts the same key, cannot commit. If a row is there, it is the answer. "Not yet" is thus
 * turned into "never" before it is reported, so a rollback answer is always true forever, even
 * for a producer paused between its half and its local transaction.
 *
 * A DatabaseError (the database cannot be reached, or the claim's own commit went unanswered) is
 * answered "unknown" by producer-with.ts: the broker asks again later, and the row (if the claim
 * committed) answers then.
 */
import type { Database } from "#lab";
import type { Decision } from "#labs/03-transactional-messages/provided.ts";
import { OUTCOMES } from "./run-local.ts";

export function answerCheck(db: Database, transactionId: string): Promise<Decision> {
  return db.transaction(async (tx) => {
    if (await tx.insertIfAbsent(OUTCOMES, transactionId, { state: "rollback" })) return "rollback";
    const row = await tx.get<{ state: string }>(OUTCOMES, transactionId);
    return row?.state === "commit" ? "commit" : "rollback";
  });
}
