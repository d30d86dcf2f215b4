/**
 * Bug zoo, lab 02: TRUSTING AN ACKNOWLEDGED COMMIT, in the orderly worker (key-parallel.ts here has
 * the same bug in the key-parallel one).
 *
 * The reference orderly worker with two parts replaced, which share what the broker acknowledged in
 * the session: each message's commit remembers an ok, and an idle queue sends its offset again
 * only if the broker has not acknowledged it yet. A lost reply is still covered; an ok is taken as final.
 *
 * It is not final: a duplicate of an older commit, held up in the network, can land after the
 * newer one, and the broker keeps the last commit it receives. See key-parallel.ts.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { type Step, tryCommit } from "../../solution/session-calls.ts";
import {
  type Batch,
  IDLE_PULLS_PER_RECOMMIT,
  type OrderlyParts,
  orderlyParts,
  runOrderlyQueueWith,
} from "../../solution/worker-with.ts";

export function runOrderlyQueue(session: QueueSession): Promise<void> {
  /** The last offset the broker acknowledged in this session. */
  let acknowledged = -1;

  const consumeRemembering = async (_: QueueSession, batch: Batch, parts: OrderlyParts): Promise<Step> => {
    for (const message of batch.messages) {
      if ((await parts.processInPlace(session, message)) === "stop") return "stop";
      const outcome = await tryCommit(session, message.queueOffset + 1);
      if (outcome === "fenced") return "stop";
      if (outcome === "committed") acknowledged = message.queueOffset + 1;
    }
    return "continue";
  };

  const recommitUnacknowledged = (_: QueueSession, start: number) => {
    let idlePulls = 0;
    return async (offset: number): Promise<Step> => {
      // The bug: an offset the broker acknowledged is never sent again.
      if (offset === start || offset === acknowledged) return "continue";
      if (++idlePulls % IDLE_PULLS_PER_RECOMMIT !== 0) return "continue";
      const outcome = await tryCommit(session, offset);
      if (outcome === "fenced") return "stop";
      if (outcome === "committed") acknowledged = offset;
      return "continue";
    };
  };

  return runOrderlyQueueWith(
    { ...orderlyParts, consumeBatch: consumeRemembering, whenIdle: recommitUnacknowledged },
    session,
  );
}
