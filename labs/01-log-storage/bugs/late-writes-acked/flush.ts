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
import type { FlushPolicy, FlushTarget } from "../../solution/flush.ts";

export { AsyncFlusher } from "../../solution/flush.ts";
export type { FlushPolicy, FlushTarget };

interface Waiter {
  end: number;
  resolve(): void;
  reject(error: unknown): void;
}

export class GroupCommit implements FlushPolicy {
  private waiting: Waiter[] = [];
  private running = false;
  private stopped: Error | null = null;

  constructor(
    private readonly target: FlushTarget,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  acknowledge(end: number): Promise<void> {
    if (this.stopped !== null) return Promise.reject(this.stopped);
    if (this.target.flushedOffset >= end) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ end, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  stop(reason: Error): void {
    this.stopped ??= reason;
    const waiting = this.waiting;
    this.waiting = [];
    for (const waiter of waiting) waiter.reject(reason);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0 && this.stopped === null) {
        await this.target.flushTo(this.target.writtenOffset);
        // The bug: read after the fsync returned, so it counts the writes made while it ran.
        const upTo = this.target.writtenOffset;
        const still: Waiter[] = [];
        for (const waiter of this.waiting) {
          if (waiter.end <= upTo) waiter.resolve();
          else still.push(waiter);
        }
        this.waiting = still;
      }
    } catch (error) {
      const waiting = this.waiting;
      this.waiting = [];
      for (const waiter of waiting) waiter.reject(error);
      this.onFailure(error);
    } finally {
      this.running = false;
    }
  }
}
