/**
 * Lab 01 reference solution, part D: when an append may be acknowledged.
 *
 * An append writes its record into the page cache (commit-log.ts). That survives a process crash,
 * because the page cache belongs to the machine, but not a power cut: only fsync puts bytes on the
 * platter. So a log must choose, and say, what an acknowledgement promises:
 *
 *   synchronous flush   acknowledge only once the record is fsynced. Nothing acknowledged is ever
 *                       lost, on a crash or a power cut. Costs an fsync per acknowledgement...
 *                       unless many appends share one: group commit.
 *   asynchronous flush  acknowledge as soon as the record is written; fsync every intervalMs in
 *                       the background. A process crash loses nothing acknowledged; a power cut
 *                       loses what was acknowledged since the last completed flush.
 *
 * Group commit works because the disk flushes serially: while one fsync runs, appends keep
 * writing, and the next fsync covers all of them at once. N concurrent producers then pay about
 * one fsync per round instead of N. RocketMQ's `GroupCommitService` (in `CommitLog.java`) queues
 * "flush up to offset X" requests, swaps its request lists, flushes once, and wakes every request
 * the flush covered; `FlushRealTimeService` is the asynchronous flusher (every 500 ms by default,
 * `flushIntervalCommitLog` in `MessageStoreConfig.java`). Kafka does not fsync on a timer by
 * default at all (`flush.ms` is unlimited): it counts on replicas in other machines instead.
 *
 * The one subtle line: which requests an fsync covers. fsync promises the writes that completed
 * before it *started*. A request whose record was written while the fsync was running is not
 * covered, even though the fsync finished after it. The flush target is therefore read before the
 * fsync starts, never after it returns.
 *
 * And when fsync fails: the kernel has already dropped the dirty pages, so a retry "succeeds" with
 * nothing to write. Every waiting append is failed, and the log is told (onFailure) so that it can
 * forget what it believes is in its files and recover from what is really there (provided.ts, section 5).
 */
import type { Clock, Timer } from "#lab";
import type { FlushPolicy, FlushTarget } from "#labs/01-log-storage/provided.ts";

interface Waiter {
  end: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** Synchronous flush with group commit: acknowledges an append once an fsync covers it. */
export class GroupCommit implements FlushPolicy {
  private waiting: Waiter[] = [];
  private running = false;
  private stopped: Error | null = null;

  constructor(
    protected readonly target: FlushTarget,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  acknowledge(end: number): Promise<void> {
    // Stopped for good: no flush will ever serve a call that waits now, so it must not wait.
    if (this.stopped !== null) return Promise.reject(this.stopped);
    return this.waitForFlush(end);
  }

  /** Resolves once a flush round covers `end` (at once if one already has). */
  protected waitForFlush(end: number): Promise<void> {
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

  /** One fsync round after another, while appends are waiting. */
  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0 && this.stopped === null) {
        const upTo = await this.flushRound();
        // -- the commit point for every append that ends at or below upTo.
        const still: Waiter[] = [];
        for (const waiter of this.waiting) {
          if (waiter.end <= upTo) waiter.resolve();
          else still.push(waiter);
        }
        this.waiting = still;
      }
    } catch (error) {
      // No retry: the failed fsync dropped the data it was meant to save.
      const waiting = this.waiting;
      this.waiting = [];
      for (const waiter of waiting) waiter.reject(error);
      this.onFailure(error);
    } finally {
      this.running = false;
    }
  }

  /**
   * One fsync round; returns the offset it made durable. The target is read before the fsync
   * starts: these bytes, and not one more, are what it covers.
   */
  protected async flushRound(): Promise<number> {
    const upTo = this.target.writtenOffset;
    await this.target.flushTo(upTo);
    return upTo;
  }
}

/** Asynchronous flush: acknowledges at once, and flushes what was written every intervalMs. */
export class AsyncFlusher implements FlushPolicy {
  private readonly timer: Timer;
  private flushing = false;
  private stopped: Error | null = null;

  constructor(
    protected readonly target: FlushTarget,
    clock: Clock,
    intervalMs: number,
    private readonly onFailure: (error: unknown) => void,
  ) {
    this.timer = clock.setInterval(intervalMs, () => this.tick());
  }

  acknowledge(_end: number): Promise<void> {
    return this.stopped === null ? Promise.resolve() : Promise.reject(this.stopped);
  }

  stop(reason: Error): void {
    this.stopped ??= reason;
    this.timer.cancel();
  }

  private tick(): void {
    // One flush at a time; a tick that finds one running leaves the work to the next tick.
    if (this.flushing || this.stopped !== null || !this.due()) return;
    this.flushing = true;
    this.target.flushTo(this.target.writtenOffset).then(
      () => {
        this.flushing = false;
      },
      (error: unknown) => {
        this.flushing = false;
        this.stop(error instanceof Error ? error : new Error(String(error)));
        this.onFailure(error);
      },
    );
  }

  /**
   * Whether this tick should flush: whenever anything written is not yet durable. (RocketMQ waits
   * for 4 dirty pages, `flushCommitLogLeastPages`, but flushes whatever there is at least every
   * 10 s, `flushCommitLogThoroughInterval`: a minimum with no deadline would keep a quiet log's
   * tail unflushed for ever.)
   */
  protected due(): boolean {
    return this.target.flushedOffset < this.target.writtenOffset;
  }
}
