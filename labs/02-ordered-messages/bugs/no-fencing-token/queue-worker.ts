/**
 * Bug zoo, lab 02: NO FENCING TOKEN ON THE EFFECT.
 *
 * The reference worker with one part replaced: processing one message. Its effect is done without
 * the lock's fencing token: the handler gets 0, "unfenced", which the downstream system accepts
 * without a check (as any system that has never heard of fencing would). Offset commits still carry
 * the token, so the broker does refuse a stale consumer's commits; only the effect itself is
 * unprotected.
 *
 * Why it is tempting: the lock and the lease already say who owns the queue, and the worker checks
 * `isActive()` before every message. The token looks like something for the broker's bookkeeping,
 * not for the business code. And RocketMQ itself works like this: its orderly consumer holds a
 * broker lock and checks that the lock is not expired (ProcessQueue.isLockExpired) before
 * consuming, but passes nothing to your listener that a database could check.
 *
 * What breaks it: a consumer that freezes (a long GC pause) after its check and before its write,
 * or whose clock runs slow, wakes up believing it still owns the queue. Meanwhile its lease ran out
 * at the broker and another consumer took the queue. The frozen one's write then lands on top of
 * the new owner's work: the same key processed by two consumers at once, or out of order. No check
 * *before* a write can prevent that; only a check *at* the write can.
 *
 * What to do instead: pass the token to every effect and every commit, and have the system that
 * takes the effect refuse a token lower than the highest it has seen (the ledger here; a version
 * column in a database). That is the fencing token of Chubby and of Kleppmann's "How to do
 * distributed locking"; Kafka's producer epochs and leader epochs fence zombies the same way.
 */
import { type QueueSession, TIMING } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { attemptOnce } from "../../solution/process-in-place.ts";
import type { Step } from "../../solution/session-calls.ts";
import { orderlyParts, runOrderlyQueueWith } from "../../solution/worker-with.ts";

/** The token the effect carries: 0, "unfenced". The lock already says the queue is ours. */
const UNFENCED = 0;

async function processInPlace(session: QueueSession, message: StoredMessage): Promise<Step> {
  while (session.isActive()) {
    const attempt = await attemptOnce(session, message, UNFENCED); // the bug: no fencing token
    if (attempt !== "failed") return attempt === "done" ? "continue" : "stop";
    await session.env.clock.sleep(TIMING.suspendMs);
  }
  return "stop";
}

export function runOrderlyQueue(session: QueueSession): Promise<void> {
  return runOrderlyQueueWith({ ...orderlyParts, processInPlace }, session);
}
