/**
 * Bug zoo, lab 01: ONE FSYNC PER MESSAGE (no group commit).
 *
 * Correct, and slow: every append waits for an fsync of its own. Nothing acknowledged is ever lost,
 * but the disk flushes one fsync at a time, so N concurrent producers wait for N fsyncs in a row,
 * and throughput is bounded by the fsync latency: about a thousand messages a second on a disk
 * whose fsync takes a millisecond, however many producers there are. Group commit makes the appends
 * that arrive during one fsync share the next (RocketMQ's GroupCommitService; PostgreSQL's and
 * MySQL's group commit are the same idea). Only part G, which measures, catches it.
 */
import type { FlushPolicy, FlushTarget } from "#labs/01-log-storage/provided.ts";

// Not part of the bug: asynchronous flush is the reference's.
export { AsyncFlusher } from "../../solution/flush.ts";

export class GroupCommit implements FlushPolicy {
  private stopped: Error | null = null;

  constructor(
    private readonly target: FlushTarget,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  async acknowledge(end: number): Promise<void> {
    if (this.stopped !== null) throw this.stopped;
    try {
      await this.target.flushTo(end); // the bug: each append flushes for itself
    } catch (error) {
      this.onFailure(error);
      throw error;
    }
  }

  stop(reason: Error): void {
    this.stopped ??= reason;
  }
}
