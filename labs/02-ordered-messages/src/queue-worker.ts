/**
 * Lab 02, L2.C (and L2.E): orderly consumption of one queue. This is your file.
 *
 * Someone (the harness for L2.C, your consumer for L2.D) holds the queue's lock and hands you a
 * session. Process the queue's messages in offset order, one at a time, until the session ends.
 */
import { NotImplemented } from "#lab";
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";

/**
 * Processes one locked queue until `session.isActive()` turns false (or the lock turns out to be
 * stale), then returns.
 *
 * Contract:
 * - starts at the group's committed offset for the queue (`queryOffset`);
 * - one message in flight at a time: calls `session.handler(message, session.token)` and waits for
 *   it before starting the next; checks `session.isActive()` before each message;
 * - when the handler throws `TransientFailure`, suspends the queue for `TIMING.suspendMs` and retries
 *   the same message; never skips it, never lets a later message overtake it;
 * - commits (`commitOffset`, with `session.token`) only offsets whose messages are all processed;
 * - keeps the committed offset up with what it processed: once the queue is quiet and the faults
 *   are over, the group's committed offset reaches the queue's end, even if the reply to your
 *   last commit was lost, or a copy of an older commit, held up in the network, reached the broker
 *   after it (the broker keeps the last commit it receives); so send it again now and then while
 *   you are idle, even when the broker acknowledged it, well within the 1 s the grader waits after
 *   your last handler call;
 * - L2.E: when the handler throws `FencedError`, or a commit is answered `fenced`, another consumer
 *   owns the queue now: return at once, without retrying and without committing, even while
 *   `session.isActive()` is still true (a lease estimate can be wrong; the token cannot).
 * - a request that times out (`maybe`) is simply tried again; nothing is lost by pulling twice.
 *
 * Implementation hints:
 * - Which is worse after a crash: processing a message twice, or never? Order your commit and your
 *   handler call accordingly.
 * - The commit carries the next offset to consume, not the last one consumed.
 */
export async function runOrderlyQueue(session: QueueSession): Promise<void> {
  // YOUR CODE HERE (L2.C, L2.E)
  void session;
  throw new NotImplemented("L2.C");
}
