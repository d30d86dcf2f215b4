/**
 * L3.A, the shapes: what a half, a committed message and an op record look like in the store.
 * Pure functions, no I/O (half-io.ts appends and reads them).
 *
 * A half keeps the real message's key and body as its own, and everything else as properties,
 * as RocketMQ's TransactionalMessageBridge.parseHalfMessageInner does: it moves the real topic and
 * queue into the REAL_TOPIC and REAL_QID properties and stores the message under
 * RMQ_SYS_TRANS_HALF_TOPIC, queue 0. Committing rebuilds the real message from the half
 * (EndTransactionProcessor.endMessageTransaction) and tags it with the transaction id and the
 * half's offset, so that recovery (L3.E) can tell which halves already have their message. An op
 * record names the half it resolves and how (RocketMQ writes the half's offset as the body of a
 * message tagged "d" in RMQ_SYS_TRANS_OP_HALF_TOPIC).
 */
import {
  BORN_AT,
  CHECK_IMMUNITY_MS,
  HALF_OFFSET,
  HALF_TOPIC,
  type HalfMessage,
  type NewMessage,
  OP_TOPIC,
  OUTCOME,
  PRODUCER_GROUP,
  PRODUCER_ID,
  REAL_QID,
  REAL_TOPIC,
  type SendHalfRequest,
  type StoredMessage,
  TX_ID,
} from "#labs/03-transactional-messages/provided.ts";

/** Appends made by the service are not a producer's stream: the idempotence table skips them. */
const SERVICE_STREAM = { producerId: "", sequence: -1 } as const;

/** The half of `request`, sent by `producerId`, as it is appended to HALF_TOPIC. */
export function halfRecord(producerId: string, request: SendHalfRequest, storedAtMs: number): NewMessage {
  return {
    topic: HALF_TOPIC,
    queueId: 0,
    key: request.key,
    body: request.body,
    ...SERVICE_STREAM,
    storedAtMs,
    properties: {
      [REAL_TOPIC]: request.topic,
      [REAL_QID]: String(request.queueId),
      [TX_ID]: request.transactionId,
      [PRODUCER_GROUP]: request.group,
      [PRODUCER_ID]: producerId,
      [BORN_AT]: String(request.bornAtMs),
      [CHECK_IMMUNITY_MS]: String(request.checkImmunityMs),
    },
  };
}

/** The half a HALF_TOPIC message stands for. */
export function halfOf(message: StoredMessage): HalfMessage {
  const p = message.properties;
  return {
    halfOffset: message.queueOffset,
    transactionId: p[TX_ID] ?? "",
    group: p[PRODUCER_GROUP] ?? "",
    producerId: p[PRODUCER_ID] ?? "",
    topic: p[REAL_TOPIC] ?? "",
    queueId: Number(p[REAL_QID]),
    key: message.key,
    body: message.body,
    bornAtMs: Number(p[BORN_AT]),
    storedAtMs: message.storedAtMs,
    checkImmunityMs: Number(p[CHECK_IMMUNITY_MS]),
  };
}

/** The real message a committed half becomes, traceable to its half. */
export function realMessageOf(half: HalfMessage, storedAtMs: number): NewMessage {
  return {
    topic: half.topic,
    queueId: half.queueId,
    key: half.key,
    body: half.body,
    ...SERVICE_STREAM,
    storedAtMs,
    properties: { [TX_ID]: half.transactionId, [HALF_OFFSET]: String(half.halfOffset) },
  };
}

/** The op record that says the half is resolved, and how. */
export function opRecordOf(half: HalfMessage, outcome: "commit" | "rollback", storedAtMs: number): NewMessage {
  return {
    topic: OP_TOPIC,
    queueId: 0,
    key: String(half.halfOffset),
    body: outcome,
    ...SERVICE_STREAM,
    storedAtMs,
    properties: { [HALF_OFFSET]: String(half.halfOffset), [OUTCOME]: outcome, [TX_ID]: half.transactionId },
  };
}
