/**
 * Lab 01, part D: when an append may be acknowledged. This is your file.
 *
 * An append writes its record into the page cache (CommitLog.append). That survives a process
 * crash, but not a power cut: only fsync puts bytes on the platter. Two policies, chosen by the
 * log's configuration (provided.ts builds one per opened log):
 *
 *   GroupCommit   synchronous flush: an append is acknowledged only once an fsync covers it.
 *                 Many concurrent appends must share one fsync (part G measures it).
 *   AsyncFlusher  asynchronous flush: an append is acknowledged at once; every intervalMs, what
 *                 was written is flushed in the background.
 *
 * The disk flushes one fsync at a time (each takes about a millisecond in simulation), while
 * writes keep going into the page cache. Part D is graded with crashes, power cuts, fsyncs that
 * fail with EIO, and a full disk; the guide says what each policy may lose. Part D needs a working
 * recovery (part E) too: the grader cuts the power and then reads back.
 *
 * When flushTo fails, do not retry it: report the error (`onFailure`) and fail the appends that
 * were waiting. The log (provided.ts, section 5) then fences this instance and recovers a new one
 * from disk.
 */
import { type Clock, NotImplemented } from "#lab";
import type { FlushPolicy, FlushTarget } from "#labs/01-log-storage/provided.ts";

/**
 * Synchronous flush with group commit: acknowledges an append once an fsync covers it. What stop()
 * must do, here and in AsyncFlusher, is FlushPolicy.stop's contract (provided.ts).
 */
export class GroupCommit implements FlushPolicy {
  // You may add fields here.

  /**
   * @param target the commit log.
   * @param onFailure to be called once, with the error, when a flush fails.
   */
  constructor(target: FlushTarget, onFailure: (error: unknown) => void) {
    // YOUR CODE HERE (L1.D)
  }

  /**
   * Contract: resolves only once every byte below `end` is durable: flushTo(x) has resolved for
   * some x >= end whose bytes had all been written when that flushTo was called. Rejects if the
   * flush fails, or once stop() has been called. Concurrent calls share fsyncs: while one flush
   * runs, later calls wait for the next, which covers all of them.
   *
   * Implementation hints:
   * - One flush loop, not one flush per call: who starts it, and when does it stop?
   * - A call that arrives while an fsync is running: is its record covered by that fsync?
   * - RocketMQ's GroupCommitService keeps a list of waiting requests, swaps it out, flushes once,
   *   and wakes every request the flush covered.
   *
   * @param end the physical offset just past the appended record.
   */
  acknowledge(end: number): Promise<void> {
    // YOUR CODE HERE (L1.D)
    throw new NotImplemented("L1.D");
  }

  stop(reason: Error): void {
    // YOUR CODE HERE (L1.D)
    throw new NotImplemented("L1.D");
  }
}

/** Asynchronous flush: acknowledges at once, and flushes what was written every intervalMs. */
export class AsyncFlusher implements FlushPolicy {
  // You may add fields here.

  /**
   * Starts flushing every `intervalMs` (env.clock.setInterval; never setInterval itself).
   *
   * Implementation hints:
   * - A tick that finds the previous flush still running should not start another.
   * - A timer callback's rejected promise has nobody to catch it: handle the error where it occurs.
   *
   * @param target the commit log.
   * @param clock the node's clock, for the timer.
   * @param intervalMs how often to flush.
   * @param onFailure to be called once, with the error, when a flush fails.
   */
  constructor(target: FlushTarget, clock: Clock, intervalMs: number, onFailure: (error: unknown) => void) {
    // YOUR CODE HERE (L1.D)
  }

  /** Contract: resolves at once; rejects once stop() has been called. */
  acknowledge(end: number): Promise<void> {
    // YOUR CODE HERE (L1.D)
    throw new NotImplemented("L1.D");
  }

  stop(reason: Error): void {
    // YOUR CODE HERE (L1.D)
    throw new NotImplemented("L1.D");
  }
}
