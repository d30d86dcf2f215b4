/**
 * Bug zoo, lab 01: A STOPPED GROUP COMMIT THAT STILL TAKES APPENDS.
 *
 * stop() rejects every append waiting for a flush, as it must. But acknowledge does not ask
 * whether the policy was stopped: an append that arrives afterwards joins the waiting list, and
 * the flush loop, which ends once the policy is stopped, never serves it. The log stops its policy
 * when an instance fails; an append whose record was written just before the failure reaches
 * acknowledge just after it, and its client waits for ever. RocketMQ's GroupCommitService answers
 * every request still queued when it shuts down (`CommitLog.GroupCommitService.run` flushes and
 * wakes them on its way out), and a put on a store that is shutting down is refused at once
 * (`DefaultMessageStore.asyncPutMessage` asks `checkStoreStatus`, which checks `shutdown`).
 *
 * Only acknowledge is this entry's: the flush loop and AsyncFlusher are the reference's.
 */
import { GroupCommit as ReferenceGroupCommit } from "../../solution/flush.ts";

export { AsyncFlusher } from "../../solution/flush.ts";

export class GroupCommit extends ReferenceGroupCommit {
  override acknowledge(end: number): Promise<void> {
    // The bug: no check for stop(); a late call waits for a flush that will never come.
    return this.waitForFlush(end);
  }
}
