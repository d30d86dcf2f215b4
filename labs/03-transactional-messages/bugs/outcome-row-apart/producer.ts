/**
 * Bug zoo, lab 03: THE OUTCOME ROW IN A TRANSACTION OF ITS OWN.
 *
 * The reference producer with one part replaced: the local transaction. "First the business
 * transaction; once it committed, I record `local-tx = commit` for the checks, in a second small
 * transaction. Keeping my bookkeeping out of the business transaction keeps it clean."
 *
 * A crash between the two commits leaves a committed order and no record of it; the check finds
 * no row, claims rollback, and the order's message is never delivered. Two writes that must agree
 * go in one transaction, or a crash can fall between them.
 */
import type { Database } from "#lab";
import type { LocalTransaction } from "#labs/03-transactional-messages/provided.ts";
import { producerParts } from "../../solution/parts.ts";
import { openProducerWith } from "../../solution/producer-with.ts";
import { OUTCOMES } from "../../solution/run-local.ts";

async function runLocal(db: Database, transactionId: string, local: LocalTransaction): Promise<void> {
  await db.transaction(local);
  // The bug: the record of the outcome commits apart from the business writes.
  await db.transaction((tx) => tx.insert(OUTCOMES, transactionId, { state: "commit" }).then(() => {}));
}

export const openTransactionalProducer = openProducerWith({ ...producerParts, runLocal });
