/**
 * Bug zoo, lab 02: RETRYING A FENCED WRITE.
 *
 * The reference workers with one part replaced: processing one message in place. A handler that
 * throws FencedError is treated like one that throws TransientFailure: the queue is suspended a
 * moment and the same message is tried again, for as long as the session looks active. The
 * ledger refuses every retry (the token does not get any newer), so no effect lands twice; but the
 * worker keeps the queue busy with calls that cannot succeed, and it keeps believing a session that
 * the ledger has just told it is over.
 *
 * Why it is tempting: "retry in place, never skip" is the rule of an orderly worker, and both
 * errors come out of the same handler call. A catch block that lists the errors to retry on grows
 * one more name.
 *
 * What breaks it: a session whose lease estimate is wrong (a clock that ran slow, or stood still
 * in a suspended virtual machine) still looks active after another consumer took the queue over.
 * Only the `fenced` answers can tell it; a worker that retries through them goes on working for a
 * queue it no longer owns, until its estimate finally runs out.
 *
 * What to do instead: FencedError means another consumer owns the queue now. Return at once, with
 * no retry and no commit; the consumer locks again, and a fresh session gets a fresh token.
 */
import { FencedError, type QueueSession, TIMING, TransientFailure } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import type { Step } from "../../solution/session-calls.ts";
import { orderlyParts, runOrderlyQueueWith } from "../../solution/worker-with.ts";

/** The bug: a refused write is retried like a failed one. */
export async function retryEvenWhenFenced(
  session: QueueSession,
  message: StoredMessage,
  isActive: () => boolean = () => session.isActive(),
): Promise<Step> {
  while (isActive()) {
    try {
      await session.handler(message, session.token);
      return "continue";
    } catch (error) {
      if (!(error instanceof TransientFailure) && !(error instanceof FencedError)) throw error;
      await session.env.clock.sleep(TIMING.suspendMs);
    }
  }
  return "stop";
}

export function runOrderlyQueue(session: QueueSession): Promise<void> {
  return runOrderlyQueueWith({ ...orderlyParts, processInPlace: (s, m) => retryEvenWhenFenced(s, m) }, session);
}
