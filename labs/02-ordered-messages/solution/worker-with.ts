/**
 * The orderly queue worker, assembled from its parts (queue-worker.ts explains the design). Each
 * part is one decision, and a bug-zoo entry replaces exactly one:
 *   startOffset      where a session starts: where the group left off (queryOffset);
 *   processInPlace   one message until it is done (process-in-place.ts);
 *   consumeBatch     the messages of one pull, in order, and when the offset may pass each;
 *   whenIdle         what an empty pull is for: sending the offset again (a lost commit).
 */
import { type QueueSession, TIMING } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { processInPlace } from "./process-in-place.ts";
import { commitOffset, committedOffset, pullFrom, type Step } from "./session-calls.ts";

export interface OrderlyParts {
  startOffset(session: QueueSession): Promise<number | null>;
  processInPlace(session: QueueSession, message: StoredMessage): Promise<Step>;
  consumeBatch(session: QueueSession, batch: Batch, parts: OrderlyParts): Promise<Step>;
  /** For one session: what to do each time a pull finds nothing new, with the offset reached. */
  whenIdle(session: QueueSession, start: number): (offset: number) => Promise<Step>;
}

/** The messages of one pull, and the offset after the last of them. */
export interface Batch {
  messages: readonly StoredMessage[];
  nextOffset: number;
}

export const orderlyParts: OrderlyParts = {
  startOffset: committedOffset,
  processInPlace: (session, message) => processInPlace(session, message),
  consumeBatch: consumeInOrder,
  whenIdle: recommitNowAndThen,
};

/**
 * While the queue is idle, the offset is sent again once every this many empty pulls (about every
 * 100 ms at TIMING.pullIdleMs). The last commit of a stretch may have been lost with its reply, and
 * no later commit would cover it: without this, whoever takes the queue over next processes the
 * tail again. RocketMQ's client does the same for every queue it holds, every 5 s
 * (MQClientInstance's persistAllConsumerOffset). Counted in pulls, not read off the clock: a clock
 * that jumps back would otherwise hold the next re-send back for as long as it jumped.
 */
export const IDLE_PULLS_PER_RECOMMIT = 10;

function recommitNowAndThen(session: QueueSession, start: number): (offset: number) => Promise<Step> {
  let idlePulls = 0;
  return async (offset) => {
    if (offset === start || ++idlePulls % IDLE_PULLS_PER_RECOMMIT !== 0) return "continue";
    return commitOffset(session, offset);
  };
}

export async function runOrderlyQueueWith(parts: OrderlyParts, session: QueueSession): Promise<void> {
  let offset = await parts.startOffset(session);
  if (offset === null) return;
  const idle = parts.whenIdle(session, offset);
  while (session.isActive()) {
    const pulled = await pullFrom(session, offset);
    if (pulled.kind === "resumeAt") offset = pulled.offset;
    else if (pulled.kind === "none") {
      if ((await idle(offset)) === "stop") return;
      if (!pulled.timedOut) await session.env.clock.sleep(TIMING.pullIdleMs);
    } else {
      if ((await parts.consumeBatch(session, pulled, parts)) === "stop") return;
      offset = pulled.nextOffset;
    }
  }
}

/** One message at a time, in offset order; the offset passes a message only once it is done. */
async function consumeInOrder(session: QueueSession, batch: Batch, parts: OrderlyParts): Promise<Step> {
  for (const message of batch.messages) {
    if ((await parts.processInPlace(session, message)) === "stop") return "stop";
    // -- the message's effect is done: only now may the offset pass it.
    if ((await commitOffset(session, message.queueOffset + 1)) === "stop") return "stop";
  }
  return "continue";
}
