/**
 * Bug zoo, lab 02: TRUSTING AN ACKNOWLEDGED COMMIT, in the key-parallel worker.
 *
 * The reference key-parallel worker with one part replaced: when the commit point is worth a
 * request. Here, only when it moved past what the broker last acknowledged. A lost reply is still
 * covered (the point stays unacknowledged, so the next step sends it again), but once the broker
 * said ok, the worker takes that commit as settled for good and never sends it again.
 *
 * It is not settled: the network may hold up a duplicate of an older commit and deliver it after
 * the newer one, and the broker keeps the last commit it receives. The group's offset goes back;
 * if the queue is quiet by then, no later commit comes to put it right, and whoever takes the
 * queue over next processes the tail again.
 *
 * Why it is tempting: it sends no request that is not needed, and "acknowledged" sounds final.
 * It was the reference's own bug until the grader delivered late copies of commits.
 *
 * What they do instead: RocketMQ's client sends every queue's offset on a timer whether it moved
 * or not (MQClientInstance.persistAllConsumerOffset, every 5 s); the reference sends the commit
 * point again every IDLE_PULLS_PER_RECOMMIT empty pulls.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { keyParallelParts, runKeyParallelWith } from "../../solution/key-parallel-with.ts";

export function runKeyParallelQueue(session: QueueSession): Promise<void> {
  // The bug: a commit point the broker acknowledged is never sent again.
  return runKeyParallelWith(
    { ...keyParallelParts, mustSend: (offset, acknowledged) => offset > acknowledged },
    session,
  );
}
