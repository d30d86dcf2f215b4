/**
 * Lab 03, L3.B: the producer with a local transaction. This is your file.
 *
 * RocketMQ's TransactionMQProducer.sendMessageInTransaction and its TransactionListener
 * (executeLocalTransaction, checkLocalTransaction), except that the listener's answers come from
 * the database, never from memory: a producer restarted after a crash must answer checks for the
 * transactions its previous incarnation began.
 */
import { type Database, type Env, NotImplemented } from "#lab";
import type {
  TransactionalProducer,
  TransactionalProducerOptions,
} from "#labs/03-transactional-messages/provided.ts";

/**
 * Opens a transactional producer of group GROUP, with its business database `db`.
 *
 * Contract of `openTransactionalProducer`: resolves once the broker has answered one
 * `producerHeartbeat` (retried until it does). From then on, while this process lives, it sends a
 * heartbeat every TIMING.producerHeartbeatMs and answers every `checkTransaction` message that
 * reaches this node (set `env.net.onMessage`). It keeps no state that a restart would need: a
 * process restarted after a crash opens a new producer, which answers checks for the transactions
 * its previous incarnation began.
 *
 * Contract of `sendInTransaction(message, local)`:
 * - Picks a new transaction id (unique across incarnations: env.rng.uuid()) and sends the half
 *   (the message's topic, queue, key and body, and its checkImmunityMs, 0 if it has none).
 *   If the broker does not answer `ok` (another reply, or no reply in time), it does not run
 *   `local` and rejects with HalfNotStored. It never sends a second half for one transaction.
 * - Then runs `local` once, inside one `db.transaction`, with whatever it needs to answer a check
 *   later written in that same transaction.
 * - Then ends the transaction with one decision, sent in `endTransaction` (fromCheck false):
 *   "commit" if the database transaction committed; "rollback" if it definitely did not (`local`
 *   threw BusinessRejected, or the database said the transaction did not commit:
 *   `definitelyNotCommitted`); "unknown" if its outcome is not known (CommitOutcomeUnknown),
 *   leaving it to the check. An unanswered end request may be retried with the same decision; it
 *   need not be: the check finishes the job.
 * - Resolves with the transaction id, the half's offset and the decision, once the end request is
 *   answered or has gone unanswered for 3 x TIMING.requestTimeoutMs. Never waits for a check.
 *   Rejects only with HalfNotStored.
 *
 * Contract of the check answers: for a `checkTransaction` of group GROUP, sends `endTransaction`
 * with `fromCheck: true` and "commit" if the transaction's local transaction committed,
 * "rollback" if it has not and never will, and "unknown" only while the database cannot tell
 * (unreachable). The answer is read from the database, never from memory, and it is final: once
 * a check has answered "rollback", that local transaction must never commit. The message is then
 * visible to consumers if and only if `local`'s writes committed.
 *
 * Hints: what does the database offer that makes two racing writers agree on one winner? What
 * should a check do about a transaction whose local transaction has not even started yet (its
 * producer paused right after the half)?
 *
 * @param env this incarnation's environment: env.net for requests (use BrokerClient), env.clock, env.rng.
 * @param db this process's connection to the business database.
 * @param options the broker to send to.
 */
export async function openTransactionalProducer(
  env: Env,
  db: Database,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  // YOUR CODE HERE (L3.B)
  void env;
  void db;
  void options;
  throw new NotImplemented("L3.B");
}
