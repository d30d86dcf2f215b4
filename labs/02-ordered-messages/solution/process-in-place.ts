/**
 * One message, processed in place: the handler is called, under the session's fencing token, until
 * it succeeds. After a `TransientFailure` the queue is suspended a moment (RocketMQ's
 * SUSPEND_CURRENT_QUEUE_A_MOMENT) and the *same* message is tried again: nothing behind it may
 * overtake it, so skipping it, or retrying it later, would break the order.
 *
 * The token goes to every call (L2.E): the system the handler writes to refuses a token older than
 * the newest it has seen, which is the only thing that stops a consumer that froze between its
 * lease check and its write. `FencedError` means exactly that happened: stop, do not retry.
 */
import { FencedError, type QueueSession, TIMING, TransientFailure } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import type { Step } from "./session-calls.ts";

/**
 * @param isActive whether the worker may go on (checked before every attempt); the session's own
 *   `isActive` unless the worker has more reasons to stop.
 */
export async function processInPlace(
  session: QueueSession,
  message: StoredMessage,
  isActive: () => boolean = () => session.isActive(),
): Promise<Step> {
  for (;;) {
    if (!isActive()) return "stop";
    const attempt = await attemptOnce(session, message);
    if (attempt !== "failed") return attempt === "done" ? "continue" : "stop";
    await session.env.clock.sleep(TIMING.suspendMs);
  }
}

/**
 * One handler call: "done", "failed" (a TransientFailure: try it again), or "fenced" (a newer
 * owner exists). Any other error is a bug, and goes up.
 */
export async function attemptOnce(
  session: QueueSession,
  message: StoredMessage,
  token: number = session.token,
): Promise<"done" | "failed" | "fenced"> {
  try {
    await session.handler(message, token);
    return "done";
  } catch (error) {
    if (error instanceof FencedError) return "fenced";
    if (error instanceof TransientFailure) return "failed";
    throw error;
  }
}
