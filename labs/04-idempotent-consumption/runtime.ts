/**
 * Lab 04: the push consumer that calls your functions (given; you do not write it, but read it: it
 * is where duplicates come from).
 *
 * RocketMQ's DefaultMQPushConsumer with ConsumeMessageConcurrentlyService, shrunk:
 * - every `TIMING.heartbeatMs` it heartbeats the group, asks who is in it, and takes the queues the
 *   sorted member list gives it (AllocateMessageQueueAveragely). A queue it loses is dropped: no
 *   more pulls, its offset committed once more; handlers already running finish, and their answers
 *   no longer move its offset (ProcessQueue.isDropped). Its new owner starts from the committed
 *   offset, so both may handle the same messages at once;
 * - each owned queue is pulled from its committed offset; up to `TIMING.maxInFlight` deliveries
 *   run at once per consumer, in any order. A pull of an empty queue is held by the broker until
 *   a message arrives or `TIMING.pullHoldMs` passes (long polling, PullRequestHoldService);
 * - a delivery answered "retryLater" is handed out again `TIMING.retryDelayMs` later, in place
 *   (RocketMQ sends it to the group's retry topic instead and counts it finished: same effect on
 *   your handler, one topic fewer here);
 * - every `TIMING.commitIntervalMs` it commits each queue's `tracker.committable()` (token 0:
 *   concurrent consumption takes no queue lock, so the broker's last writer wins);
 * - `redeliver(delivery)` hands a message to this consumer outside the queues it owns, as a
 *   RocketMQ 5 pop consumer gets a message again when its invisible time runs out while another
 *   consumer is still at work on it (the grader uses it for L4.C's twin deliveries).
 * Nothing here deduplicates: that is your handler's job.
 *
 * The message body is an envelope `{ id, event }`: the id a producer gave this copy, and the event.
 */
import { rethrowFrom } from "#harness/errors.ts";
import type { Database, Env, Redis } from "#lab";
import type { BrokerClient } from "#labs/shared/broker/client.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import {
  applyOrderEvent,
  type Claim,
  type Consumed,
  type Delivery,
  GROUP,
  type HandlerContext,
  type OffsetTracker,
  type OrderEvent,
  TIMING,
  TOPIC,
  type Transaction,
  type WindowContext,
} from "./provided.ts";

/** What a message's body holds. */
export interface Envelope {
  id: string;
  event: OrderEvent;
}

export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

/** The functions the runtime is assembled from (each part's test fills the ones it does not grade). */
export interface ConsumerParts {
  businessKey(delivery: Delivery): string;
  claim(tx: Transaction, key: string): Promise<Claim>;
  handle(ctx: HandlerContext, delivery: Delivery): Promise<Consumed>;
  /** Present in L4.D: wraps `handle` with the Redis lease and window. */
  handleWithWindow?(ctx: WindowContext, delivery: Delivery): Promise<Consumed>;
  openTracker(): OffsetTracker;
}

/** What a consumer process talks to. */
export interface ConsumerStores {
  broker: BrokerClient;
  db: Database;
  /** L4.D only. */
  redis?: Redis;
  quote?(delivery: Delivery): Promise<number>;
}

/** What the runtime tells the workload (for the history the checkers read); all optional. */
export interface RuntimeHooks {
  delivered?(delivery: Delivery): void;
  answered?(delivery: Delivery, answer: Consumed): void;
  committed?(queueId: number, offset: number, reply: string): void;
  rebalanced?(queueIds: readonly number[]): void;
  // L4.E's evidence: each of the next four is called right after the tracker call it stands for,
  // in the same step, so the grader sees the calls in the order the tracker did.
  /** The queue was taken at `startOffset`: a new tracker was opened for it. */
  opened?(queueId: number, startOffset: number): void;
  /** `tracker.received(offsets)` was called. */
  received?(queueId: number, offsets: readonly number[]): void;
  /** `tracker.finished(offset)` was called. */
  finished?(queueId: number, offset: number): void;
  /** A commit of `offset` is about to be sent; the function returned, if any, is told the reply. */
  committing?(queueId: number, offset: number): ((reply: string) => void) | undefined;
}

/** What a running consumer offers the harness. */
export interface ConsumerHandle {
  /**
   * Hands `delivery` to this consumer's handler, outside any queue it owns, until it answers
   * "done" (resolves then). No offset moves for it: the queue's owner tracks the message.
   */
  redeliver(delivery: Delivery): Promise<void>;
}

/** One owned queue. */
interface QueueState {
  queueId: number;
  tracker: OffsetTracker;
  /** The committed offset the queue was taken at. */
  startOffset: number;
  nextOffset: number;
  dropped: boolean;
}

/** The queues `me` takes among `members` (sorted), as AllocateMessageQueueAveragely does. */
export function allocate(members: readonly string[], queueCount: number, me: string): number[] {
  const index = members.indexOf(me);
  if (index < 0) return [];
  const base = Math.floor(queueCount / members.length);
  const extra = queueCount % members.length;
  const count = base + (index < extra ? 1 : 0);
  const start = index * base + Math.min(index, extra);
  return Array.from({ length: count }, (_, i) => start + i);
}

/** Runs one consumer process of the group until its env dies. Resolves once it has started. */
export async function runPushConsumer(
  env: Env,
  stores: ConsumerStores,
  parts: ConsumerParts,
  hooks: RuntimeHooks = {},
): Promise<ConsumerHandle> {
  const consumerId = env.nodeId;
  const owned = new Map<number, QueueState>();
  let inFlight = 0;
  let applications = 0;

  const handlerContext: HandlerContext = {
    env,
    db: stores.db,
    consumerId,
    businessKey: (delivery) => parts.businessKey(delivery),
    claim: (tx, key) => parts.claim(tx, key),
    apply: (tx, delivery) =>
      applyOrderEvent(tx, delivery.event, {
        applicationId: `${consumerId}#${env.incarnation}/${++applications}`,
        consumerId,
        messageId: delivery.messageId,
      }),
  };

  const answer = (delivery: Delivery): Promise<Consumed> => {
    const { redis, quote } = stores;
    if (parts.handleWithWindow === undefined || redis === undefined || quote === undefined) {
      return parts.handle(handlerContext, delivery);
    }
    return parts.handleWithWindow({ ...handlerContext, redis, quote, handle: parts.handle }, delivery);
  };

  /** Hands a delivery to the handler until it answers "done" (a programming error ends the run). */
  const untilDone = async (delivery: Delivery): Promise<void> => {
    for (let attempt = delivery; ; ) {
      hooks.delivered?.(attempt);
      const result = await answer(attempt).catch((error: unknown) =>
        // A handler that throws ends the run: the report names the call it threw in.
        rethrowFrom(`the handler of ${attempt.messageId} on ${consumerId}`, error),
      );
      hooks.answered?.(attempt, result);
      if (result === "done") return;
      await env.clock.sleep(TIMING.retryDelayMs);
      attempt = { ...attempt, reconsumeTimes: attempt.reconsumeTimes + 1 };
    }
  };

  const consume = async (state: QueueState, delivery: Delivery): Promise<void> => {
    await untilDone(delivery);
    inFlight -= 1;
    // A dropped queue's tracker is gone with it: its new owner decides what is committed.
    if (state.dropped) return;
    state.tracker.finished(delivery.queueOffset);
    hooks.finished?.(state.queueId, delivery.queueOffset);
  };

  const pullLoop = async (state: QueueState): Promise<void> => {
    while (!state.dropped) {
      const room = TIMING.maxInFlight - inFlight;
      if (room <= 0) {
        await env.clock.sleep(1);
        continue;
      }
      const outcome = await stores.broker.call({
        type: "pull",
        topic: TOPIC,
        queueId: state.queueId,
        offset: state.nextOffset,
        max: room,
        // Long polling: an empty queue's pull is answered when a message arrives, or at the hold's end.
        waitMs: TIMING.pullHoldMs,
      });
      if (state.dropped) return;
      if (outcome.kind !== "ok" || outcome.reply.kind !== "ok" || outcome.reply.messages.length === 0) {
        await env.clock.sleep(TIMING.pullIdleMs);
        continue;
      }
      const messages = outcome.reply.messages;
      state.tracker.received(messages.map((m) => m.queueOffset));
      // A copy of its own: the tracker may keep (and change) the array it was given.
      hooks.received?.(
        state.queueId,
        messages.map((m) => m.queueOffset),
      );
      state.nextOffset = outcome.reply.nextOffset;
      inFlight += messages.length;
      for (const message of messages) void consume(state, deliveryOf(message));
    }
  };

  // Every interval, even when the offset has not moved (RemoteBrokerOffsetStore.persistAll does
  // the same): a broker that restarted may have lost the last commit it acknowledged.
  const commit = async (state: QueueState): Promise<void> => {
    // Nothing received yet: the offset the queue was taken at (the broker may have lost it).
    const offset = state.tracker.committable() ?? state.startOffset;
    const replied = hooks.committing?.(state.queueId, offset);
    const outcome = await stores.broker.call({
      type: "commitOffset",
      group: GROUP,
      topic: TOPIC,
      queueId: state.queueId,
      consumerId,
      offset,
      token: 0,
    });
    const reply = outcome.kind === "ok" ? outcome.reply.kind : "maybe";
    replied?.(reply);
    hooks.committed?.(state.queueId, offset, reply);
  };

  const take = async (queueId: number): Promise<void> => {
    const outcome = await stores.broker.call({ type: "queryOffset", group: GROUP, topic: TOPIC, queueId });
    if (outcome.kind !== "ok" || outcome.reply.kind !== "ok" || owned.has(queueId)) return;
    const state: QueueState = {
      queueId,
      tracker: parts.openTracker(),
      startOffset: outcome.reply.offset,
      nextOffset: outcome.reply.offset,
      dropped: false,
    };
    owned.set(queueId, state);
    hooks.opened?.(queueId, state.startOffset);
    void pullLoop(state);
  };

  const drop = async (state: QueueState): Promise<void> => {
    owned.delete(state.queueId);
    await commit(state);
    state.dropped = true;
  };

  const rebalance = async (queueCount: number): Promise<void> => {
    await stores.broker.call({ type: "heartbeat", group: GROUP, consumerId });
    const members = await stores.broker.call({ type: "members", group: GROUP });
    if (members.kind !== "ok") return;
    const mine = allocate(members.reply.consumerIds, queueCount, consumerId);
    for (const state of [...owned.values()]) if (!mine.includes(state.queueId)) await drop(state);
    for (const queueId of mine) if (!owned.has(queueId)) await take(queueId);
    hooks.rebalanced?.([...owned.keys()].sort((a, b) => a - b));
  };

  const queueCount = await routeOf(env, stores.broker);
  let rebalancing = false;
  const tick = async (): Promise<void> => {
    if (rebalancing) return;
    rebalancing = true;
    try {
      await rebalance(queueCount);
    } finally {
      rebalancing = false;
    }
  };
  env.clock.setInterval(TIMING.heartbeatMs, () => void tick());
  env.clock.setInterval(TIMING.commitIntervalMs, () => {
    for (const state of owned.values()) void commit(state);
  });
  await tick();
  return { redeliver: (delivery) => untilDone({ ...delivery, reconsumeTimes: delivery.reconsumeTimes + 1 }) };
}

/** The topic's queue count, asked until the broker answers. */
async function routeOf(env: Env, broker: BrokerClient): Promise<number> {
  for (;;) {
    const outcome = await broker.call({ type: "route", topic: TOPIC });
    if (outcome.kind === "ok" && outcome.reply.kind === "ok") return outcome.reply.queueCount;
    await env.clock.sleep(TIMING.pullIdleMs);
  }
}

function deliveryOf(message: StoredMessage): Delivery {
  const envelope = JSON.parse(message.body) as Envelope;
  return {
    messageId: envelope.id,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    key: message.key,
    event: envelope.event,
    reconsumeTimes: 0,
  };
}
