/**
 * Bug zoo, lab 03: AN UNANSWERED HALF IS SENT AGAIN.
 *
 * The reference producer, except that a half whose reply does not come in time is sent again with
 * the same transaction id, three tries in all, before the producer gives up with HalfNotStored:
 * "the request timed out, so retry it, as every client library does; the transaction id is the
 * same, so the broker can tell it is a retry".
 *
 * It cannot: this lab's half store (like RocketMQ's putHalfMessage) appends every half it is sent,
 * and nothing deduplicates halves by transaction id. The first half was stored and only its reply
 * was lost, so the retry stores a second half of the same transaction. Each is checked, each check
 * is answered "commit" from the database, and the message is delivered twice. L3.B's broker happens
 * to keep one half per transaction id (it must, because the network duplicates packets), so the
 * grader counts the sendHalf requests as they leave the producer.
 *
 * The fix: send the half once. No reply means the outcome is unknown: reject with HalfNotStored and
 * run no local transaction; if the half was stored after all, its check finds no outcome row and
 * claims a rollback.
 */
import type { Database, Env } from "#lab";
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
import type { CheckTransaction, EndTransactionRequest } from "#labs/shared/broker/protocol.ts";
import { answerCheck } from "../../solution/answer-check.ts";
import { decide } from "../../solution/decide.ts";
import { runLocal } from "../../solution/run-local.ts";
import { endWith } from "../../solution/send-end.ts";

interface ProducerParts {
  /** Runs `local` and records the transaction's outcome for later checks, in one transaction. */
  runLocal(db: Database, transactionId: string, local: LocalTransaction): Promise<void>;
  /** The decision a failed local transaction leads to (or throws, for an error that is a bug). */
  decide(error: unknown): Decision;
  /** What to answer a check about `transactionId`, from the database. */
  answerCheck(db: Database, transactionId: string): Promise<Decision>;
  /** Sends the end request; resolves once it is answered or has gone unanswered long enough. */
  endWith(client: BrokerClient, request: EndTransactionRequest): Promise<void>;
}

async function openProducerWith(
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
    const decision = await parts.answerCheck(db, check.transactionId);
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
      const half = {
        type: "sendHalf",
        group: GROUP,
        transactionId,
        topic: message.topic,
        queueId: message.queueId,
        key: message.key,
        body: message.body,
        bornAtMs: env.clock.now(),
        checkImmunityMs: message.checkImmunityMs ?? 0,
      } as const;
      // The bug: an unanswered half is sent again, with the same transaction id, up to three times.
      let sent = await client.call(half);
      for (let attempt = 1; attempt < 3 && sent.kind !== "ok"; attempt++) sent = await client.call(half);
      // No `ok`: the half may be stored all the same, but with no local transaction behind it a
      // check finds nothing committed and claims a rollback. Sending a second half would make two.
      if (sent.kind !== "ok" || sent.reply.kind !== "ok") throw new HalfNotStored();
      const halfOffset = sent.reply.halfOffset;
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

export function openTransactionalProducer(
  env: Env,
  db: Database,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  return openProducerWith({ runLocal, decide, answerCheck, endWith }, env, db, options);
}
