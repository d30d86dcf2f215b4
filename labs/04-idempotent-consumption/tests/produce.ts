/**
 * The harness producer p1: publishes the order book, one operation after another, each to its
 * order's queue (a MessageQueueSelector by order id, so one order's steps stay in order).
 *
 * Where duplicates come from, on the producer's side:
 * - a send whose reply is lost is retried with the same message id (RocketMQ's client keeps the
 *   UNIQ_KEY across its own retries); the broker stores non-idempotent sends (`sequence -1`)
 *   again, so the same message id can stand at two offsets. The network's duplicates do the same;
 * - a drawn share of operations is published a second time, later, as a new message: the
 *   application built it again (an outbox relay that died before it marked the row sent, a job
 *   run twice). A new message gets a new message id, a new offset and a new `sentAtMs`: only the
 *   event's operation (order id and step) stays the same.
 * Each copy is a `send` operation in the history: ok once the broker acknowledged it, info if the
 * producer gave up waiting (it may still have been stored).
 */
import type { Env } from "#harness/env.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { History } from "#harness/workloads/history.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import { TIMING, TOPIC } from "../provided.ts";
import { encodeEnvelope } from "../runtime.ts";
import type { SentCopy, SentOperation } from "./check-effects.ts";
import type { PlannedEvent } from "./orders.ts";

export const PRODUCER = "p1";
/** How long the producer waits before trying a send again. */
const RETRY_MS = 5;

export interface ProducerScript {
  events: readonly PlannedEvent[];
  /** Per event: republish it as a new message this long after its first send, or never. */
  resendAfterMs: readonly (number | null)[];
  /** The pause between two operations. */
  sendGapMs: number;
  queueCount: number;
}

/** The queue an order's operations go to. */
export function queueOf(orderId: string, orderIds: readonly string[], queueCount: number): number {
  return Math.max(0, orderIds.indexOf(orderId)) % queueCount;
}

/**
 * Runs the script on `node` (its first incarnation; p1 is never crashed) and returns every
 * operation with its copies. A copy not acknowledged by `giveUpAtMs()` (true time) is left
 * unacknowledged.
 */
export async function runProducer(
  history: History,
  node: SimNode<Env>,
  broker: string,
  script: ProducerScript,
  giveUpAtMs: () => number,
  nowMs: () => number,
): Promise<SentOperation[]> {
  const orderIds = [...new Set(script.events.map((e) => e.orderId))];
  const sent: SentOperation[] = script.events.map((event) => ({ event: { ...event, sentAtMs: 0 }, copies: [] }));
  const outcome = await node.invoke(async (env) => {
    const client = new BrokerClient(env.net, broker, TIMING.requestTimeoutMs);
    let messages = 0;
    const publish = async (index: number): Promise<void> => {
      const operation = sent[index] as SentOperation;
      const event = { ...operation.event, sentAtMs: env.clock.now() };
      const copy: SentCopy = { messageId: `m-${++messages}`, acknowledged: false };
      if (operation.copies.length === 0) operation.event = event;
      operation.copies.push(copy);
      const queueId = queueOf(event.orderId, orderIds, script.queueCount);
      const op = history.invoke(PRODUCER, "send", { message: copy.messageId, order: event.orderId, step: event.step });
      copy.op = op;
      const body = encodeEnvelope({ id: copy.messageId, event });
      const request = {
        type: "send",
        topic: TOPIC,
        queueId,
        key: event.orderId,
        body,
        producerId: PRODUCER,
        sequence: -1,
      } as const;
      for (;;) {
        const reply = await client.call(request);
        if (reply.kind === "ok" && reply.reply.kind === "ok") {
          copy.acknowledged = true;
          history.complete(op, "ok", { output: { at: `${TOPIC}/${queueId}:${reply.reply.queueOffset}` } });
          return;
        }
        if (nowMs() >= giveUpAtMs()) {
          history.complete(op, "info", { note: "no acknowledgement before the producer gave up; it may be stored" });
          return;
        }
        await env.clock.sleep(RETRY_MS);
      }
    };
    const resends: Promise<void>[] = [];
    for (const [index] of script.events.entries()) {
      if (index > 0) await env.clock.sleep(script.sendGapMs);
      const first = publish(index);
      const after = script.resendAfterMs[index];
      if (after !== null && after !== undefined) {
        resends.push(env.clock.sleep(after).then(() => publish(index)));
      }
      await first;
    }
    await Promise.all(resends);
  });
  if (outcome.kind !== "ok") throw new Error(`the harness producer ${PRODUCER} did not finish: ${outcome.kind}`);
  return sent;
}
