/**
 * Lab 03, L3.A: half messages. This is your file.
 *
 * The storage half of RocketMQ's TransactionalMessageBridge: a half is stored durably where no
 * consumer reads it (HALF_TOPIC), and becomes the real message only when its transaction commits.
 * A commit is two appends (the real message, then an op record saying the half is done); a
 * rollback is one (the op record). Whether a half may still be committed is not this file's
 * question: endTransaction (L3.C) asks it before calling commitHalf or rollbackHalf.
 *
 * Every append goes through `broker.store.append`, which resolves once the message is durable.
 * Give your appends `producerId: ""` and `sequence: -1` (the broker's idempotence table ignores
 * them), `storedAtMs: broker.env.clock.now()`, and the properties named in provided.ts.
 */
import { NotImplemented } from "#lab";
import type {
  BrokerSide,
  HalfMessage,
  SendHalfReply,
  SendHalfRequest,
} from "#labs/03-transactional-messages/provided.ts";

/**
 * Stores a half message: durable, and invisible to every consumer.
 *
 * Contract: appends one message to HALF_TOPIC, queue 0, carrying (in its key, body and
 * properties) everything `readHalf` returns (the real topic, queue, key and body, the transaction
 * id, the group, the sending node `producerId`, `bornAtMs`, `checkImmunityMs`), and resolves `{ kind: "ok",
 * halfOffset }` only once that append is durable. Writes nothing to the real topic. (A topic or
 * queue the broker does not have, or a system topic, never gets here: the broker answers
 * `{ kind: "noSuchTopic" }` itself, as RocketMQ's send path checks the topic first.) If the store
 * fails: `{ kind: "error" }` (the half may or may not be stored; the producer must treat it as
 * unknown).
 *
 * @param broker the broker this service runs in (its store, its clock for storedAtMs).
 * @param producerId the node that sent the request (the broker passes the request's sender).
 */
export async function storeHalf(
  broker: BrokerSide,
  producerId: string,
  request: SendHalfRequest,
): Promise<SendHalfReply> {
  // YOUR CODE HERE (L3.A)
  void broker;
  void producerId;
  void request;
  throw new NotImplemented("L3.A");
}

/**
 * The half stored at `halfOffset`, with every field `storeHalf` stored and `storedAtMs` the
 * broker's clock at the append; null if HALF_TOPIC has no message there. Reads only.
 */
export async function readHalf(broker: BrokerSide, halfOffset: number): Promise<HalfMessage | null> {
  // YOUR CODE HERE (L3.A)
  void broker;
  void halfOffset;
  throw new NotImplemented("L3.A");
}

/**
 * Makes the half's message visible. Contract: appends the real message (the half's topic,
 * queueId, key and body, exactly as the producer sent them, with properties TX_ID and HALF_OFFSET
 * so that it can be traced back) to its real queue, then an op record (OP_TOPIC, queue 0,
 * properties OUTCOME "commit" and HALF_OFFSET), and resolves once both are durable. It checks
 * nothing: whether the half is still unresolved is endTransaction's question (L3.C).
 */
export async function commitHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  // YOUR CODE HERE (L3.A)
  void broker;
  void half;
  throw new NotImplemented("L3.A");
}

/**
 * Discards the half. Contract: appends an op record (OP_TOPIC, queue 0, properties OUTCOME
 * "rollback" and HALF_OFFSET) and resolves once it is durable. Writes nothing anywhere else: the
 * half stays in its queue, which no consumer reads, and its message is never delivered.
 */
export async function rollbackHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  // YOUR CODE HERE (L3.A)
  void broker;
  void half;
  throw new NotImplemented("L3.A");
}
