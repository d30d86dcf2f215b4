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
import type { Clock, Timer } from "#lab";
import type { FlushPolicy, FlushTarget } from "../../solution/flush.ts";

export { GroupCommit } from "../../solution/flush.ts";
export type { FlushPolicy, FlushTarget };

const PAGE_BYTES = 4096;
const FLUSH_LEAST_PAGES = 4;

export class AsyncFlusher implements FlushPolicy {
  private readonly timer: Timer;
  private flushing = false;
  private stopped: Error | null = null;

  constructor(
    private readonly target: FlushTarget,
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
    if (this.flushing || this.stopped !== null) return;
    // The bug: no deadline after which a smaller amount is flushed anyway.
    if (this.target.writtenOffset - this.target.flushedOffset < FLUSH_LEAST_PAGES * PAGE_BYTES) return;
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
}
