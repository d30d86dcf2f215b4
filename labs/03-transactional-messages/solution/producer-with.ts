/**
 * L3.B, assembled from five decisions, each in a file of its own so that each can be got wrong
 * alone (the bug zoo does): `sendHalf` (send-half.ts: the half, sent once), `runLocal` (run-local.ts: the business writes and the outcome row in
 * one database transaction), `decide` (decide.ts: what the local transaction's ending means for
 * the end request), `answerCheck` (answer-check.ts: the claim), and `endWith` (send-end.ts: the end
 * request, retried while unanswered).
 *
 * The steps of a transaction: a new id; the half, sent once (no `ok`: nothing happened, and the
 * local transaction never runs); the local transaction; one decision, sent as the end request.
 * The producer keeps nothing in memory that a check needs: a check is answered from the database,
 * so that a restarted producer, or another producer of the group, answers for this one.
 */
import { type Database, DatabaseError, type Env } from "#lab";
import {
  type Decision,
  GROUP,
  HalfNotStored,
  type LocalTransaction,
  TIMING,
  type TransactionalProducer,
  type TransactionalProducerOptions,
} from "#labs/03-transactional-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type { CheckTransaction, EndTransactionRequest, SendHalfRequest } from "#labs/shared/broker/protocol.ts";

export interface ProducerParts {
  /** Sends the half; its offset once the broker said it is stored, or null if no `ok` came. */
  sendHalf(client: BrokerClient, half: SendHalfRequest): Promise<number | null>;
  /** Runs `local` and records the transaction's outcome for later checks, in one transaction. */
  runLocal(db: Database, transactionId: string, local: LocalTransaction): Promise<void>;
  /** The decision a failed local transaction leads to (or throws, for an error that is a bug). */
  decide(error: unknown): Decision;
  /** What to answer a check about `transactionId`, from the database (a DatabaseError means "unknown"). */
  answerCheck(db: Database, transactionId: string): Promise<Decision>;
  /** Sends the end request; resolves once it is answered or has gone unanswered long enough. */
  endWith(client: BrokerClient, request: EndTransactionRequest): Promise<void>;
}

/** producer.ts's export, as the grader asks for it. */
export type OpenTransactionalProducer = (
  env: Env,
  db: Database,
  options: TransactionalProducerOptions,
) => Promise<TransactionalProducer>;

export function openProducerWith(parts: ProducerParts): OpenTransactionalProducer {
  return (env, db, options) => openProducer(parts, env, db, options);
}

async function openProducer(
  parts: ProducerParts,
  env: Env,
  db: Database,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  const client = new BrokerClient(env.net, options.brokerId, TIMING.requestTimeoutMs);
  const heartbeat = () => client.call({ type: "producerHeartbeat", group: GROUP });
  while ((await heartbeat()).kind !== "ok") {
    // The broker is unreachable for now: a timed-out request already waited requestTimeoutMs.
  }
  env.clock.setInterval(TIMING.producerHeartbeatMs, () => void heartbeat());

  const answer = async (check: CheckTransaction): Promise<void> => {
    const decision = await answerOrUnknown(parts, db, check.transactionId);
    // One answer; if it is lost, the broker asks again.
    await client.call({
      type: "endTransaction",
      group: GROUP,
      transactionId: check.transactionId,
      halfOffset: check.halfOffset,
      decision,
      fromCheck: true,
    });
  };
  env.net.onMessage((_from, message) => {
    const check = message as CheckTransaction;
    if (check.type === "checkTransaction" && check.group === GROUP) return answer(check);
  });

  return {
    async sendInTransaction(message, local) {
      const transactionId = env.rng.uuid();
      const halfOffset = await parts.sendHalf(client, {
        type: "sendHalf",
        group: GROUP,
        transactionId,
        topic: message.topic,
        queueId: message.queueId,
        key: message.key,
        body: message.body,
        bornAtMs: env.clock.now(),
        checkImmunityMs: message.checkImmunityMs ?? 0,
      });
      // No `ok`: the half may be stored all the same, but with no local transaction behind it a
      // check finds nothing committed and claims a rollback.
      if (halfOffset === null) throw new HalfNotStored();
      let decision: Decision = "commit";
      try {
        await parts.runLocal(db, transactionId, local);
      } catch (error) {
        decision = parts.decide(error);
      }
      await parts.endWith(client, {
        type: "endTransaction",
        group: GROUP,
        transactionId,
        halfOffset,
        decision,
        fromCheck: false,
      });
      return { transactionId, halfOffset, decision };
    },
  };
}

/**
 * While the database cannot be reached, or the answer's own commit went unanswered, the answer is
 * "unknown": the broker asks again later.
 */
async function answerOrUnknown(parts: ProducerParts, db: Database, transactionId: string): Promise<Decision> {
  try {
    return await parts.answerCheck(db, transactionId);
  } catch (error) {
    if (error instanceof DatabaseError) return "unknown";
    throw error;
  }
}
