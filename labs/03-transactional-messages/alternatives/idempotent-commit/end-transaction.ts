/**
 * Lab 03, correct alternative `idempotent-commit` (docs/design/lab-03.md, section 8, alternative
 * 2): the end handler written from the stub's contract, differently from the reference.
 *
 * How it differs: a commit never writes a half's real message twice, even when an earlier commit
 * of the same half failed half way. The reference trusts the index alone: a commit whose half
 * store threw after the real message's append (a write error on the op record) replies "error",
 * records nothing, and a retried commit would append the message again, or a rollback would be
 * acknowledged for a message already in its queue. Here a half whose commit was attempted and not
 * confirmed is "unsure": before anything else is done to it, its real queue is searched for a
 * message carrying its HALF_OFFSET. If one is there the half is committed: only the op record
 * (the note) is appended, and whatever the request asked, the reply names "committed".
 *
 * Why it is correct: it is the stub's contract plus one rule the contract leaves open (what a
 * failed commit left behind). Requests for one half run one after another under its lock, the
 * first outcome recorded is the one every later request hears, and an outcome is recorded only
 * once its record is durable. A crash forgets the unsure set, but then recovery (recovery.ts here)
 * reads the real queues and counts such a half committed anyway. The search costs a read of one
 * queue, and only for halves whose commit failed.
 */
import {
  type BrokerSide,
  type EndTransactionReply,
  type EndTransactionRequest,
  HALF_OFFSET,
  type HalfMessage,
  OP_TOPIC,
  OUTCOME,
  type ServiceContext,
  TX_ID,
} from "#labs/03-transactional-messages/provided.ts";

/** Per running service: halves whose commit began and did not end with a durable "committed". */
const unsureByService = new WeakMap<ServiceContext, Set<number>>();

/** How many messages one read of the real queue takes while searching it. */
const PAGE = 64;

export async function endTransaction(
  service: ServiceContext,
  request: EndTransactionRequest,
): Promise<EndTransactionReply> {
  const half = await service.halves.read(request.halfOffset);
  if (half === null || half.transactionId !== request.transactionId || half.group !== request.group) {
    return { kind: "noSuchHalf" };
  }
  return service.locks.run(half.halfOffset, () => settle(service, half, request.decision));
}

/** Runs under the half's lock: nothing else touches this half meanwhile. */
async function settle(
  service: ServiceContext,
  half: HalfMessage,
  decision: EndTransactionRequest["decision"],
): Promise<EndTransactionReply> {
  const first = service.resolutions.get(half.halfOffset);
  if (first !== undefined) return { kind: "alreadyResolved", outcome: first };
  const unsure = unsureOf(service);
  try {
    if (unsure.has(half.halfOffset) && (await messageWritten(service.broker, half))) {
      await noteCommitted(service.broker, half);
      unsure.delete(half.halfOffset);
      service.resolutions.set(half.halfOffset, "committed");
      // The earlier commit took effect: a repeat of it succeeds, anything else hears it was first.
      return decision === "commit"
        ? { kind: "ok", outcome: "committed" }
        : { kind: "alreadyResolved", outcome: "committed" };
    }
    if (decision === "unknown") return { kind: "ok", outcome: "pending" };
    if (decision === "rollback") {
      await service.halves.rollback(half);
      service.resolutions.set(half.halfOffset, "rolledBack");
      return { kind: "ok", outcome: "rolledBack" };
    }
    unsure.add(half.halfOffset);
    await service.halves.commit(half);
    unsure.delete(half.halfOffset);
    service.resolutions.set(half.halfOffset, "committed");
    return { kind: "ok", outcome: "committed" };
  } catch (error) {
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
}

function unsureOf(service: ServiceContext): Set<number> {
  let unsure = unsureByService.get(service);
  if (unsure === undefined) {
    unsure = new Set();
    unsureByService.set(service, unsure);
  }
  return unsure;
}

/** Whether the half's real queue holds its message (commitHalf tags it with HALF_OFFSET). */
async function messageWritten(broker: BrokerSide, half: HalfMessage): Promise<boolean> {
  const tag = String(half.halfOffset);
  const { minOffset, maxOffset } = broker.store.bounds(half.topic, half.queueId);
  for (let offset = minOffset; offset < maxOffset; offset += PAGE) {
    const page = await broker.store.read(half.topic, half.queueId, offset, PAGE);
    if (page.some((message) => message.properties[HALF_OFFSET] === tag)) return true;
    if (page.length === 0) break;
  }
  return false;
}

/** The op record commitHalf would have written after the message: the same note, alone. */
async function noteCommitted(broker: BrokerSide, half: HalfMessage): Promise<void> {
  await broker.store.append({
    topic: OP_TOPIC,
    queueId: 0,
    key: half.key,
    body: "",
    producerId: "",
    sequence: -1,
    storedAtMs: broker.env.clock.now(),
    properties: { [OUTCOME]: "commit", [HALF_OFFSET]: String(half.halfOffset), [TX_ID]: half.transactionId },
  });
}
