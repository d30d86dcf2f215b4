/**
 * Bug zoo, lab 03: A CHECK THAT READS "NO OUTCOME YET" AS ROLLBACK.
 *
 * The reference producer with one part replaced: the check's answer. It reads the outcome row and
 * answers commit if it says commit, rollback if it is missing: "a missing row means the local
 * transaction never committed."
 *
 * Not yet is not never. A producer paused (or slow) between its half and its local commit is
 * checked; a second producer of the group reads "missing" and answers rollback; then the first
 * wakes up, commits its order, and sends commit. The producer side has said both, the broker kept
 * the rollback, and a committed order is never delivered. The reference claims the outcome
 * instead (`insertIfAbsent` of a rollback row): the local transaction, which inserts the same
 * unique key, then cannot commit.
 */
import type { Database } from "#lab";
import type { Decision } from "#labs/03-transactional-messages/provided.ts";
import { producerParts } from "../../solution/parts.ts";
import { openProducerWith } from "../../solution/producer-with.ts";
import { OUTCOMES } from "../../solution/run-local.ts";

async function answerCheck(db: Database, transactionId: string): Promise<Decision> {
  // The bug: a read, not a claim; "absent" today may be "committed" a moment later.
  const row = await db.transaction((tx) => tx.get<{ state: string }>(OUTCOMES, transactionId));
  return row?.state === "commit" ? "commit" : "rollback";
}

export const openTransactionalProducer = openProducerWith({ ...producerParts, answerCheck });
