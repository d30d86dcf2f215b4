/**
 * A node's clock: virtual time as that machine sees it.
 *
 * The world has one true time (the scheduler's). Each machine's clock reads that time through an
 * offset (skew: the clock is set wrong) and a rate (drift: it runs fast or slow). A clock belongs
 * to the machine, so skew survives a restart. Timers measure durations on the node's own clock, so
 * a node whose clock runs slow waits longer in true time: exactly what breaks naive leases.
 */
import type { Clock, Timer } from "../env.ts";

/** The simulated world starts at this wall-clock time (2023-11-14T22:13:20Z), so timestamps look real. */
export const SIM_EPOCH_MS = 1_700_000_000_000;

/**
 * `Clock.now()` reads whole milliseconds, as `Date.now()` and Java's `System.currentTimeMillis()`
 * do: a node that measures an age of 600 ms may be up to this much short of 600 ms in true time.
 * Checkers that hold a node's timing to a true-time bound allow for it.
 */
export const CLOCK_RESOLUTION_MS = 1;

export class MachineClock {
  private anchorTrueMs = 0;
  private anchorLocalMs = SIM_EPOCH_MS;
  private rate = 1;

  /** This machine's reading at true time `trueMs`. */
  localAt(trueMs: number): number {
    return this.anchorLocalMs + (trueMs - this.anchorTrueMs) * this.rate;
  }

  /** Jumps the clock by `deltaMs` (positive: ahead), as a bad NTP step would. */
  skew(trueNowMs: number, deltaMs: number): void {
    this.anchorLocalMs = this.localAt(trueNowMs) + deltaMs;
    this.anchorTrueMs = trueNowMs;
  }

  /** Makes the clock run fast (ppm > 0) or slow (ppm < 0) from now on. */
  setDrift(trueNowMs: number, ppm: number): void {
    this.anchorLocalMs = this.localAt(trueNowMs);
    this.anchorTrueMs = trueNowMs;
    this.rate = 1 + ppm / 1_000_000;
  }

  /** How much true time passes while this clock advances `localMs`. */
  trueDurationOf(localMs: number): number {
    // As Node's timers do, a negative or non-finite delay means "as soon as possible".
    return Number.isFinite(localMs) && localMs > 0 ? localMs / this.rate : 0;
  }
}

/** What a node clock needs from its world. */
export interface ClockHost {
  trueNowMs(): number;
  /** Schedules `fn` after `trueDelayMs`; it runs only while the incarnation lives. */
  afterForIncarnation(trueDelayMs: number, label: string, fn: () => void): { cancel(): void };
  /** Runs lab code from a timer, turning a throw or a rejection into a reported lab error. */
  runLabCallback(where: string, fn: () => unknown): void;
}

export class SimClock implements Clock {
  constructor(
    private readonly machine: MachineClock,
    private readonly host: ClockHost,
  ) {}

  now(): number {
    return Math.floor(this.machine.localAt(this.host.trueNowMs()));
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.host.afterForIncarnation(this.machine.trueDurationOf(ms), "sleep", resolve);
    });
  }

  setTimer(ms: number, fn: () => void): Timer {
    return this.host.afterForIncarnation(this.machine.trueDurationOf(ms), "timer", () =>
      this.host.runLabCallback("a timer callback", fn),
    );
  }

  setInterval(ms: number, fn: () => void): Timer {
    const periodMs = Math.max(ms, 0.001); // a zero period would never let time move
    let current: { cancel(): void } | null = null;
    let cancelled = false;
    const arm = (): void => {
      current = this.host.afterForIncarnation(this.machine.trueDurationOf(periodMs), "interval", () => {
        if (cancelled) return;
        arm();
        this.host.runLabCallback("an interval callback", fn);
      });
    };
    arm();
    return {
      cancel: () => {
        cancelled = true;
        current?.cancel();
      },
    };
  }
}
