/**
 * Bug zoo, lab 01: AN ASYNCHRONOUS FLUSHER THAT WAITS FOR FOUR DIRTY PAGES.
 *
 * RocketMQ's asynchronous flusher does not fsync on every tick: it waits until at least
 * `flushCommitLogLeastPages` (4) pages of 4 KiB are dirty, so that each fsync writes a useful amount. That
 * is half of its design. The other half is `flushCommitLogThoroughInterval` (10 s): at least that
 * often it flushes whatever is dirty, however little (`CommitLog.FlushRealTimeService`). This
 * flusher copies the first half only. On a quiet log, the last few kilobytes stay unflushed for
 * ever, and a power cut takes messages acknowledged long ago, not just the last interval's worth.
 */
import { AsyncFlusher as ReferenceAsyncFlusher } from "../../solution/flush.ts";

// Not part of the bug: group commit is the reference's.
export { GroupCommit } from "../../solution/flush.ts";

const PAGE_BYTES = 4096;
const FLUSH_LEAST_PAGES = 4;

/** The reference asynchronous flusher, with this rule for when a tick flushes. */
export class AsyncFlusher extends ReferenceAsyncFlusher {
  protected override due(): boolean {
    // The bug: no deadline after which a smaller amount is flushed anyway.
    return this.target.writtenOffset - this.target.flushedOffset >= FLUSH_LEAST_PAGES * PAGE_BYTES;
  }
}
