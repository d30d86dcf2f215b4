/**
 * Lab 02, L2.F: throughput. Many keys in parallel, each key strictly in order. This is your file.
 *
 * runOrderlyQueue processes a queue one message at a time, so a queue can go no faster than its
 * handler. But the order that matters is per key, and a queue carries many keys.
 */
import { NotImplemented } from "#lab";
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";

/**
 * Processes one locked queue like runOrderlyQueue, but runs messages of different keys at the same
 * time.
 *
 * Contract:
 * - two messages of one key never run at the same time, and run in offset order; a failing message
 *   (`TransientFailure`) is retried in place and holds back its key only;
 * - one slow key must not hold back the others: the grader fills a queue with up to 16 keys, the
 *   others fast (3 to 24 ms a message) and one slow, either in every round (36 to 90 ms a message)
 *   or with only one or two long messages at the head of the queue, and asks for at least 85% of
 *   the best speed-up over one-at-a-time that any worker keeping each key in order can reach (it
 *   cannot beat the longest key's handler calls one after another);
 * - the committed offset never passes a message that is not finished, even though messages now
 *   finish out of order; and, as in runOrderlyQueue, it reaches the queue's end once the queue is
 *   quiet and the faults are over (the grader waits 1 s), even if a commit's reply was lost or an
 *   older commit's late copy set it back after the broker had acknowledged a newer one;
 * - stops, as runOrderlyQueue does, when the session ends or the token is fenced (a `FencedError`
 *   on any key, or a commit answered `fenced`, even while `session.isActive()` is still true): no
 *   handler call of any key starts after that, and no commit is sent; lets the messages in flight
 *   finish before returning.
 *
 * Implementation hints:
 * - Give each key its own chain of work.
 * - Which offset is safe to commit when message 12 is done and message 10 is not?
 */
export async function runKeyParallelQueue(session: QueueSession): Promise<void> {
  // YOUR CODE HERE (L2.F)
  void session;
  throw new NotImplemented("L2.F");
}
