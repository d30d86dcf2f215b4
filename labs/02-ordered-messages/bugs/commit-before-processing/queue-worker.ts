/**
 * Bug zoo, lab 02: COMMITTING A BATCH AS SOON AS IT IS PULLED.
 *
 * The reference worker with one part replaced: the consumption of a pulled batch. The offset is
 * committed right after each pull, past the whole batch, and only then are the batch's messages
 * processed. If the consumer crashes in between, the group's offset already says "done" for
 * messages whose effects never happened: the next owner of the queue starts after them, and they
 * are never processed.
 *
 * Why it is tempting: commit-then-process is what Kafka's auto-commit does in effect
 * (`enable.auto.commit=true` commits the offsets returned by `poll`, on a timer, whether or not
 * the application has finished with them), and it keeps the commit out of the per-message path.
 * It also looks harmless in a test without crashes.
 *
 * What they do instead: RocketMQ's orderly consumer moves the offset only after the listener
 * returned SUCCESS for the messages (ProcessQueue.commit, called from
 * ConsumeMessageOrderlyService.processConsumeResult), and a Kafka application that cares commits
 * manually, after processing (at-least-once: a crash means a rewind, never a loss).
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { commitOffset, type Step } from "../../solution/session-calls.ts";
import { type Batch, type OrderlyParts, orderlyParts, runOrderlyQueueWith } from "../../solution/worker-with.ts";

async function consumeBatch(session: QueueSession, batch: Batch, parts: OrderlyParts): Promise<Step> {
  // The bug: the batch is committed before any of it is processed.
  if ((await commitOffset(session, batch.nextOffset)) === "stop") return "stop";
  for (const message of batch.messages) {
    if ((await parts.processInPlace(session, message)) === "stop") return "stop";
  }
  return "continue";
}

export function runOrderlyQueue(session: QueueSession): Promise<void> {
  return runOrderlyQueueWith({ ...orderlyParts, consumeBatch }, session);
}
