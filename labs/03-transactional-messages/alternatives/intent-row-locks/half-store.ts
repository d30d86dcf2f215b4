/**
 * L3.A, written from the contract only, differently from the reference: a half keeps everything
 * in its body, as JSON (the real topic, queue, key and body, the transaction, the group, the
 * sender, the producer's clock, the immunity), and its message's key is the transaction id. An op
 * record's body is JSON too, beside the HALF_OFFSET and OUTCOME properties the contract asks for.
 */
import {
  type BrokerSide,
  HALF_OFFSET,
  HALF_TOPIC,
  type HalfMessage,
  type NewMessage,
  OP_TOPIC,
  OUTCOME,
  type SendHalfReply,
  type SendHalfRequest,
  TX_ID,
} from "#labs/03-transactional-messages/provided.ts";

type HalfBody = Omit<HalfMessage, "halfOffset" | "storedAtMs">;

function appendNow(broker: BrokerSide, message: Omit<NewMessage, "producerId" | "sequence" | "storedAtMs">) {
  return broker.store.append({ ...message, producerId: "", sequence: -1, storedAtMs: broker.env.clock.now() });
}

export async function storeHalf(
  broker: BrokerSide,
  producerId: string,
  request: SendHalfRequest,
): Promise<SendHalfReply> {
  const body: HalfBody = {
    transactionId: request.transactionId,
    group: request.group,
    producerId,
    topic: request.topic,
    queueId: request.queueId,
    key: request.key,
    body: request.body,
    bornAtMs: request.bornAtMs,
    checkImmunityMs: request.checkImmunityMs,
  };
  try {
    const halfOffset = await appendNow(broker, {
      topic: HALF_TOPIC,
      queueId: 0,
      key: request.transactionId,
      body: JSON.stringify(body),
    });
    return { kind: "ok", halfOffset };
  } catch (error) {
    return { kind: "error", message: String(error) };
  }
}

export async function readHalf(broker: BrokerSide, halfOffset: number): Promise<HalfMessage | null> {
  if (!Number.isInteger(halfOffset) || halfOffset < 0 || halfOffset >= broker.store.bounds(HALF_TOPIC, 0).maxOffset)
    return null;
  const found = (await broker.store.read(HALF_TOPIC, 0, halfOffset, 1))[0];
  if (found === undefined) return null;
  const body = JSON.parse(found.body) as HalfBody;
  return { ...body, halfOffset, storedAtMs: found.storedAtMs };
}

async function op(broker: BrokerSide, half: HalfMessage, outcome: "commit" | "rollback"): Promise<void> {
  await appendNow(broker, {
    topic: OP_TOPIC,
    queueId: 0,
    key: half.transactionId,
    body: JSON.stringify({ halfOffset: half.halfOffset, outcome }),
    properties: { [HALF_OFFSET]: String(half.halfOffset), [OUTCOME]: outcome },
  });
}

export async function commitHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  await appendNow(broker, {
    topic: half.topic,
    queueId: half.queueId,
    key: half.key,
    body: half.body,
    properties: { [TX_ID]: half.transactionId, [HALF_OFFSET]: String(half.halfOffset) },
  });
  await op(broker, half, "commit");
}

export async function rollbackHalf(broker: BrokerSide, half: HalfMessage): Promise<void> {
  await op(broker, half, "rollback");
}
