/**
 * L3.B, written from the contract only, differently from the reference: row locks instead of a
 * unique-key claim (docs/design/lab-03.md, section 8, alternative 1).
 *
 * Before the half is sent, an intent row `intent/<id> = pending` commits in a transaction of its
 * own. The local transaction locks that row (`getForUpdate`), goes on only if it is still
 * pending, and sets it to commit with the business writes. A check locks it too: commit or
 * rollback is the answer; pending becomes rollback, and is answered so. Whichever takes the lock
 * first decides, and the other sees its decision. An absent row means the intent never committed,
 * and then no half was sent for it... except a half whose intent commit went unanswered, which is
 * never sent either (HalfNotStored). The cost: one more commit per transaction.
 */
import { CommitOutcomeUnknown, type Database, DatabaseError, type Env } from "#lab";
import {
  BusinessRejected,
  type Decision,
  GROUP,
  HalfNotStored,
  TIMING,
  type TransactionalProducer,
  type TransactionalProducerOptions,
} from "#labs/03-transactional-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type { CheckTransaction } from "#labs/shared/broker/protocol.ts";

const INTENTS = "intent";

/** Thrown inside the local transaction when a check decided first. */
class DecidedElsewhere extends Error {}

type Intent = { state: "pending" | "commit" | "rollback" };

export async function openTransactionalProducer(
  env: Env,
  db: Database,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  const client = new BrokerClient(env.net, options.brokerId, TIMING.requestTimeoutMs);
  for (;;) {
    if ((await client.call({ type: "producerHeartbeat", group: GROUP })).kind === "ok") break;
  }
  env.clock.setInterval(TIMING.producerHeartbeatMs, () => {
    void client.call({ type: "producerHeartbeat", group: GROUP });
  });

  const outcomeOf = async (transactionId: string): Promise<Decision> => {
    try {
      return await db.transaction(async (tx) => {
        const intent = await tx.getForUpdate<Intent>(INTENTS, transactionId);
        if (intent === undefined) return "rollback";
        if (intent.state !== "pending") return intent.state;
        await tx.put(INTENTS, transactionId, { state: "rollback" });
        return "rollback";
      });
    } catch (error) {
      if (error instanceof DatabaseError) return "unknown";
      throw error;
    }
  };
  env.net.onMessage((_from, message) => {
    const check = message as CheckTransaction;
    if (check.type !== "checkTransaction" || check.group !== GROUP) return;
    return outcomeOf(check.transactionId).then(async (decision) => {
      await client.call({
        type: "endTransaction",
        group: GROUP,
        transactionId: check.transactionId,
        halfOffset: check.halfOffset,
        decision,
        fromCheck: true,
      });
    });
  });

  return {
    async sendInTransaction(message, local) {
      const transactionId = env.rng.uuid();
      try {
        await db.transaction((tx) => tx.insert(INTENTS, transactionId, { state: "pending" }));
      } catch (error) {
        // Without a known intent no half may be sent: nothing has happened yet.
        if (error instanceof DatabaseError) throw new HalfNotStored(`no intent recorded: ${error.message}`);
        throw error;
      }
      const sent = await client.call({
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
      if (sent.kind !== "ok" || sent.reply.kind !== "ok") throw new HalfNotStored();
      const halfOffset = sent.reply.halfOffset;
      let decision: Decision;
      try {
        await db.transaction(async (tx) => {
          const intent = await tx.getForUpdate<Intent>(INTENTS, transactionId);
          if (intent?.state !== "pending") throw new DecidedElsewhere();
          await local(tx);
          await tx.put(INTENTS, transactionId, { state: "commit" });
        });
        decision = "commit";
      } catch (error) {
        if (error instanceof CommitOutcomeUnknown) decision = "unknown";
        else if (error instanceof DecidedElsewhere || error instanceof BusinessRejected) decision = "rollback";
        else if (error instanceof DatabaseError) decision = error.definitelyNotCommitted ? "rollback" : "unknown";
        else throw error;
      }
      const end = { type: "endTransaction" as const, group: GROUP, transactionId, halfOffset, fromCheck: false };
      for (let attempt = 0; attempt < 3; attempt++) {
        if ((await client.call({ ...end, decision })).kind === "ok") break;
      }
      return { transactionId, halfOffset, decision };
    },
  };
}
