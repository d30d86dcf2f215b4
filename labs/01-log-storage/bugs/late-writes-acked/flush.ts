/**
 * Bug zoo, lab 01: GROUP COMMIT THAT ACKNOWLEDGES WRITES THE FSYNC DID NOT COVER.
 *
 * The group commit loop is right in every way but one: it decides what the fsync covered after the
 * fsync returns, by reading writtenOffset then. Appends whose writes completed while the fsync was
 * running are counted as covered and acknowledged. They were not: an fsync makes durable the writes
 * that completed before it started, and a power cut right after takes them. RocketMQ's
 * GroupCommitService compares each request's offset with the flushed position the flush itself
 * reports (`mappedFileQueue.getFlushedWhere()`), which is fixed before the flush begins; Kafka's
 * `LocalLog.flush(offset)` likewise flushes up to an offset chosen before the flush.
 */
import { GroupCommit as ReferenceGroupCommit } from "../../solution/flush.ts";

// Not part of the bug: asynchronous flush is the reference's.
export { AsyncFlusher } from "../../solution/flush.ts";

/** The reference group commit, with this round in place of its own. */
export class GroupCommit extends ReferenceGroupCommit {
  protected override async flushRound(): Promise<number> {
    await this.target.flushTo(this.target.writtenOffset);
    // The bug: read after the fsync returned, so it counts the writes made while it ran.
    return this.target.writtenOffset;
  }
}
