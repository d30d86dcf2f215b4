/**
 * L3.B A producer that publishes a message if and only if its local transaction commits.
 *
 * The dual write ("update my database, then publish") has no safe order: publish first and a
 * failed transaction has published; commit first and a crash before publishing loses the message.
 * RocketMQ's answer is the half message: publish first, but invisibly; run the local transaction;
 * then tell the broker commit or rollback. If that last word never arrives (a crash, a lost
 * request, a commit whose outcome is unknown), the broker asks a producer of the group, and the
 * answer must come from the database, never from memory, because the producer that knew may be
 * gone.
 *
 * The one hard case is a check that arrives before the local transaction has finished (its
 * producer paused right after the half, say). Reading "no outcome yet" and answering rollback would
 * be wrong the moment the local transaction commits. So a check *claims* the outcome: it inserts
 * the outcome row as rollback if there is none, and the local transaction, which inserts the same
 * unique key, then fails and rolls back. Exactly one of the two wins, by the unique key.
 *
 * Assembled in producer-with.ts from run-local.ts, decide.ts, answer-check.ts and send-end.ts.
 */
import type { Database, Env } from "#lab";
import type { TransactionalProducer, TransactionalProducerOptions } from "#labs/03-transactional-messages/provided.ts";
import { producerParts } from "./parts.ts";
import { openProducerWith } from "./producer-with.ts";

const openWith = openProducerWith(producerParts);

export function openTransactionalProducer(
  env: Env,
  db: Database,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  return openWith(env, db, options);
}
