/**
 * Long polling: a pull that finds its queue empty may be held until a message arrives.
 *
 * A consumer that polls an empty queue every few milliseconds spends the broker's time and the
 * network's on empty answers. RocketMQ's push consumer instead sends a pull the broker may hold:
 * PullMessageProcessor suspends a request that found nothing (for up to the 15 s the client asks,
 * BROKER_SUSPEND_MAX_TIME_MILLIS in DefaultMQPushConsumerImpl), PullRequestHoldService keeps it,
 * and the dispatch of a new message to that queue (NotifyMessageArrivingListener) answers it at
 * once: broker/src/main/java/org/apache/rocketmq/broker/longpolling/. Kafka's fetch does the same
 * with `fetch.max.wait.ms` and `fetch.min.bytes` (its DelayedFetch purgatory). Either way a message
 * is handed out as soon as it is stored, and an idle queue costs one request per hold period.
 *
 * Only a broker configured with `pullHoldMaxMs` holds pulls; without it, a pull answers at once,
 * whatever it asks for, and appends run exactly as they would without this file.
 */
import type { Clock } from "#lab";
import type { MessageStore } from "./store.ts";

/** Held pulls, by queue, each woken by the next append to its queue or by its own timer. */
export class Arrivals {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(private readonly clock: Clock) {}

  /** Resolves at the next append to the queue, or after `waitMs`, whichever comes first. */
  next(topic: string, queueId: number, waitMs: number): Promise<void> {
    const key = queueKey(topic, queueId);
    return new Promise((resolve) => {
      const wakers = this.waiting.get(key) ?? new Set<() => void>();
      this.waiting.set(key, wakers);
      const wake = (): void => {
        timer.cancel();
        wakers.delete(wake);
        if (wakers.size === 0 && this.waiting.get(key) === wakers) this.waiting.delete(key);
        resolve();
      };
      const timer = this.clock.setTimer(waitMs, wake);
      wakers.add(wake);
    });
  }

  /** A message is stored in the queue: every pull held on it answers now. */
  appended(topic: string, queueId: number): void {
    const wakers = this.waiting.get(queueKey(topic, queueId));
    if (wakers === undefined) return;
    for (const wake of [...wakers]) wake();
  }

  /** Pulls held now (for tests). */
  get heldCount(): number {
    let count = 0;
    for (const wakers of this.waiting.values()) count += wakers.size;
    return count;
  }
}

/**
 * The store with every successful append announced: the broker's own services (a transaction's
 * real message, an op record) append through it too, so their messages wake held pulls as well.
 */
export function announcingAppends(store: MessageStore, arrivals: Arrivals): MessageStore {
  return {
    async append(message) {
      const queueOffset = await store.append(message);
      arrivals.appended(message.topic, message.queueId);
      return queueOffset;
    },
    read: (topic, queueId, offset, max) => store.read(topic, queueId, offset, max),
    bounds: (topic, queueId) => store.bounds(topic, queueId),
    scan: (visit) => store.scan(visit),
  };
}

function queueKey(topic: string, queueId: number): string {
  return `${topic}\u0000${queueId}`;
}
