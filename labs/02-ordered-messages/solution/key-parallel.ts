/**
 * L2.F Throughput: one queue, many keys in parallel, each key strictly in order.
 *
 * Orderly consumption pays for its order with parallelism: one message at a time per queue, so a
 * queue can go no faster than one handler after another. But the order that matters is per key
 * (per order id, per account), and a queue carries many keys. Messages of different keys can run
 * at the same time; only messages of the same key must wait for each other.
 *
 * So: read the queue in order, and give each key its own chain. A message starts when the previous
 * message of its key is done (and a slot is free: at most MAX_IN_FLIGHT at once). A failing
 * message is retried in place on its chain, which holds back its key only.
 *
 * The committed offset must still pass only finished messages, and they now finish out of order:
 * message 12 (key b) may be done while message 10 (key a) is still running. The offset that is
 * safe to commit is the smallest offset not yet done (RocketMQ's ProcessQueue keeps its messages in
 * a sorted map and commits the first key still there, `ProcessQueue.removeMessage`). Committing the
 * highest finished offset instead would skip message 10 after a crash.
 *
 * This is the classic answer to "how do I speed up orderly consumption" (and what Confluent's
 * parallel-consumer calls key ordering). The guide measures it against runOrderlyQueue.
 *
 * The worker is assembled in key-parallel-with.ts from the pull loop and three parts the bug zoo
 * replaces one at a time: the chains (key-chains.ts: which message waits for which), the commit
 * point (commit-point.ts: which offset is safe to commit), and the processing of one message, in
 * place, as in queue-worker.ts, checking the session before every attempt (process-in-place.ts).
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { keyParallelParts, runKeyParallelWith } from "./key-parallel-with.ts";

export function runKeyParallelQueue(session: QueueSession): Promise<void> {
  return runKeyParallelWith(keyParallelParts, session);
}
