/**
 * Lab 01, part D, a correct alternative ("write-through"): when an append may be acknowledged.
 *
 * How it differs from the reference, and why it is still correct. Written from the stub's contract
 * and the guide alone:
 * - GroupCommit does not swap request lists as RocketMQ's GroupCommitService does. One flush loop
 *   runs while anyone waits; each round flushes to the log's writtenOffset as it is when the round
 *   starts (so it also covers appends whose acknowledge call has not arrived yet), then wakes every
 *   waiter whose record ends at or below that offset. A waiter that arrived during the round's
 *   fsync waits for the next round: its record may have been written after the fsync was called.
 *   The contract's condition holds by construction: a waiter is woken only after flushTo(x)
 *   resolved with x >= its end, and x was read from writtenOffset when that flushTo was called.
 * - AsyncFlusher re-arms a one-shot timer after each flush ends instead of using setInterval, so
 *   two of its flushes never overlap and it needs no "busy" flag. The period is intervalMs plus
 *   the flush's own time, a few milliseconds at most, well inside the guide's allowance of
 *   2 x intervalMs + 40 ms.
 */
import type { Clock, Timer } from "#lab";

export interface FlushTarget {
  readonly writtenOffset: number;
  readonly flushedOffset: number;
  flushTo(offset: number): Promise<void>;
}

export interface FlushPolicy {
  acknowledge(end: number): Promise<void>;
  stop(reason: Error): void;
}

interface Waiter {
  end: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export class GroupCommit implements FlushPolicy {
  private waiters: Waiter[] = [];
  private running = false;
  private stopped: Error | null = null;

  constructor(
    private readonly target: FlushTarget,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  acknowledge(end: number): Promise<void> {
    if (this.stopped !== null) return Promise.reject(this.stopped);
    if (end <= this.target.flushedOffset) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ end, resolve, reject });
      if (!this.running) void this.loop();
    });
  }

  /** Flushes round after round while anyone waits. */
  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.waiters.length > 0 && this.stopped === null) {
        const goal = this.target.writtenOffset;
        try {
          await this.target.flushTo(goal);
        } catch (error) {
          this.fail(error);
          return;
        }
        if (this.stopped !== null) return;
        // -- durable up to `goal`: wake whoever it covers.
        const covered = this.waiters.filter((w) => w.end <= goal);
        this.waiters = this.waiters.filter((w) => w.end > goal);
        for (const waiter of covered) waiter.resolve();
        if (covered.length === 0 && this.waiters.every((w) => w.end > this.target.writtenOffset)) {
          // Nothing written can ever cover them: never spin on it.
          this.fail(new Error(`acknowledge() past the written end ${this.target.writtenOffset}`));
          return;
        }
      }
    } finally {
      this.running = false;
    }
  }

  private fail(error: unknown): void {
    if (this.stopped !== null) return;
    this.stopped = asError(error);
    this.rejectAll(this.stopped);
    this.onFailure(error);
  }

  stop(reason: Error): void {
    this.stopped ??= reason;
    this.rejectAll(reason);
  }

  private rejectAll(reason: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(reason);
  }
}

export class AsyncFlusher implements FlushPolicy {
  private timer: Timer;
  private stopped: Error | null = null;

  constructor(
    private readonly target: FlushTarget,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly onFailure: (error: unknown) => void,
  ) {
    this.timer = clock.setTimer(intervalMs, () => this.tick());
  }

  /** One flush, then the next timer. Errors are handled here: a timer has nobody to throw to. */
  private tick(): void {
    if (this.stopped !== null) return;
    const goal = this.target.writtenOffset;
    const flushing = goal > this.target.flushedOffset ? this.target.flushTo(goal) : Promise.resolve();
    flushing.then(
      () => {
        if (this.stopped === null) this.timer = this.clock.setTimer(this.intervalMs, () => this.tick());
      },
      (error: unknown) => {
        if (this.stopped !== null) return;
        this.stopped = asError(error);
        this.onFailure(error);
      },
    );
  }

  acknowledge(end: number): Promise<void> {
    void end;
    return this.stopped === null ? Promise.resolve() : Promise.reject(this.stopped);
  }

  stop(reason: Error): void {
    this.stopped ??= reason;
    this.timer.cancel();
  }
}
