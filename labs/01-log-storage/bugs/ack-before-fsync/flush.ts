/**
 * Bug zoo, lab 01: ACKNOWLEDGING BEFORE THE FSYNC.
 *
 * "Synchronous" flush that acknowledges an append as soon as its record is written, and starts the
 * fsync in the background: the producer does not wait for the disk, and throughput looks superb.
 * The acknowledgement then promises nothing a power cut respects: the record is in the page cache
 * only, and the cut takes it. This is asynchronous flush under a false name. RocketMQ's SYNC_FLUSH
 * makes the put-message future wait on the GroupCommitService request (`CommitLog.handleDiskFlush`
 * / `GroupCommitRequest.future()`); Kafka, which acknowledges before fsync by default, says so, and
 * relies on acks=all replication instead.
 */
import type { FlushPolicy, FlushTarget } from "#labs/01-log-storage/provided.ts";

// Not part of the bug: asynchronous flush is the reference's.
export { AsyncFlusher } from "../../solution/flush.ts";

export class GroupCommit implements FlushPolicy {
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly target: FlushTarget,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  acknowledge(_end: number): Promise<void> {
    // The bug: flush later, acknowledge now.
    this.flushing ??= this.target.flushTo(this.target.writtenOffset).then(
      () => {
        this.flushing = null;
      },
      (error: unknown) => {
        this.flushing = null;
        this.onFailure(error);
      },
    );
    return Promise.resolve();
  }

  stop(_reason: Error): void {}
}
