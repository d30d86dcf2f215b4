/**
 * Bug zoo, lab 02: A FENCED COMMIT IGNORED.
 *
 * The reference orderly worker with one part replaced: the messages of one pull, each committed
 * once it is done. The commit's answer is not looked at: `fenced` is taken for one more commit
 * that did not land, as a lost reply would be, and the worker goes on to the next message.
 *
 * Why it is tempting: a commit is only bookkeeping. A lost one is harmless, because the next commit
 * covers it, so a worker learns to fire commits and forget them. But `fenced` is not a lost reply:
 * it is the broker saying that another consumer has locked the queue under a newer token.
 *
 * What breaks it: a session whose lease estimate is wrong still looks active after the takeover.
 * The broker refuses its commit, and the worker calls the handler for the next message under its
 * stale token. If the new owner has not written yet, the ledger has no newer token to compare, and
 * the stale effect lands beside the new owner's work.
 *
 * What to do instead: treat a commit answered `fenced` as FencedError from the handler: return at
 * once, with no more handler calls and no more commits.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { type Step, tryCommit } from "../../solution/session-calls.ts";
import { type Batch, type OrderlyParts, orderlyParts, runOrderlyQueueWith } from "../../solution/worker-with.ts";

async function commitAndForget(session: QueueSession, batch: Batch, parts: OrderlyParts): Promise<Step> {
  for (const message of batch.messages) {
    if ((await parts.processInPlace(session, message)) === "stop") return "stop";
    await tryCommit(session, message.queueOffset + 1); // the bug: "fenced" is not looked at
  }
  return "continue";
}

export function runOrderlyQueue(session: QueueSession): Promise<void> {
  return runOrderlyQueueWith({ ...orderlyParts, consumeBatch: commitAndForget }, session);
}
