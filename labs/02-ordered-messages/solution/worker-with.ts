/**
 * The orderly queue worker, assembled from its parts (queue-worker.ts explains the design). Each
 * part is one decision, and a bug-zoo entry replaces exactly one:
 *   startOffset      where a session starts: where the group left off (queryOffset);
 *   processInPlace   one message until it is done (process-in-place.ts);
 *   consumeBatch     the messages of one pull, in order, and when the offset may pass each.
 */
import { type QueueSession, TIMING } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { processInPlace } from "./process-in-place.ts";
import { commitOffset, committedOffset, pullFrom, type Step } from "./session-calls.ts";

export interface OrderlyParts {
  startOffset(session: QueueSession): Promise<number | null>;
  processInPlace(session: QueueSession, message: StoredMessage): Promise<Step>;
  consumeBatch(session: QueueSession, batch: Batch, parts: OrderlyParts): Promise<Step>;
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
};

export async function runOrderlyQueueWith(parts: OrderlyParts, session: QueueSession): Promise<void> {
  let offset = await parts.startOffset(session);
  while (offset !== null && session.isActive()) {
    const pulled = await pullFrom(session, offset);
    if (pulled.kind === "resumeAt") offset = pulled.offset;
    else if (pulled.kind === "none") {
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
