/**
 * Bug zoo, lab 03: CHECKS ANSWERED FROM MEMORY.
 *
 * The reference producer, except that it remembers each transaction's outcome in a map, in the
 * object it returns, and answers a check from that map; a transaction it does not know is one it
 * never committed: rollback. No outcome row is written to the database at all. RocketMQ's own
 * example listener does this (`localTrans` in example/.../transaction/TransactionListenerImpl.java),
 * and answers COMMIT for an id it does not know, which fails the other way.
 *
 * The map dies with the process. A producer that crashes between its local commit and its end
 * request comes back knowing nothing, and answers the check on its committed transaction
 * "rollback"; another producer of the group, which never knew, does the same. A check must read
 * the database, which outlives every process.
 */
import type { Database, Env } from "#lab";
import type {
  Decision,
  TransactionalProducer,
  TransactionalProducerOptions,
} from "#labs/03-transactional-messages/provided.ts";
import { producerParts } from "../../solution/parts.ts";
import { openProducerWith } from "../../solution/producer-with.ts";

export function openTransactionalProducer(
  env: Env,
  db: Database,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  const outcomes = new Map<string, Decision>();
  return openProducerWith({
    ...producerParts,
    async runLocal(database, transactionId, local) {
      await database.transaction(local);
      outcomes.set(transactionId, "commit");
    },
    // The bug: the answer comes from this process's memory, which a restart wipes.
    answerCheck: async (_database, transactionId) => outcomes.get(transactionId) ?? "rollback",
  })(env, db, options);
}
