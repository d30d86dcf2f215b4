/**
 * Lab 02, L2.F, a correct alternative: a scheduler over a window of pulled messages, instead of one
 * promise chain per key.
 *
 * Written from the stub's contract and the guide only. How it differs, and why it is correct:
 *
 * - A fetcher loop pulls ahead into a window (at most `WINDOW_MAX` unfinished messages), in offset
 *   order. A scheduler, woken whenever a message finishes or a batch arrives, walks the window from
 *   the lowest offset and starts every waiting message whose key has no earlier unfinished message
 *   in the window, up to `IN_FLIGHT_MAX` at once. A key is therefore never run twice at once, and
 *   its messages start in offset order, each only after the previous one has finished: per-key
 *   order does not depend on which batch a message came in.
 * - A message whose handler throws `TransientFailure` is retried in place, by its own task, after
 *   `suspendMs`: its key stays blocked (its later messages are behind it in the window) and every
 *   other key goes on.
 * - The commit point is the low-water mark: the offset of the lowest unfinished message in the
 *   window (or the pull position, when the window is empty). Everything below it has finished, so
 *   committing it never passes an unfinished message, however out of order messages finish. One
 *   commit at a time; a `maybe` is retried with the next one. Every `RESEND_ROUNDS`-th round of the
 *   scheduler sends it even if the broker already acknowledged it: a late copy of an older commit
 *   can set the broker's offset back after that, and a quiet queue sends nothing else.
 * - It stops when the session ends or on `FencedError` / a `fenced` commit: nothing new starts,
 *   retries stop, the messages in flight finish, and then (only if not fenced) the low-water mark is
 *   committed once more.
 */
import { FencedError, type QueueSession, TIMING } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { commitUpTo, pullBatch, startOffset } from "../broker-requests.ts";

/** Every this many scheduler rounds (one at least every pullIdleMs), the commit goes out even unmoved. */
const RESEND_ROUNDS = 12;
/** Pulled but unfinished messages kept at most (the pull-ahead limit). */
const WINDOW_MAX = 128;
/** Handler calls running at once on one queue. */
const IN_FLIGHT_MAX = 24;
/** Pause before asking the broker again after a request got no answer. */
const RETRY_PAUSE_MS = 5;

interface Slot {
  message: StoredMessage;
  state: "waiting" | "running" | "finished";
}

export async function runKeyParallelQueue(session: QueueSession): Promise<void> {
  const start = await startOffset(session, RETRY_PAUSE_MS);
  if (start === undefined) return;
  const scheduler = new Scheduler(session, start);
  await scheduler.run();
}

class Scheduler {
  /** Unfinished messages and finished ones above the low-water mark, in offset order. */
  private readonly window: Slot[] = [];
  private readonly tasks = new Set<Promise<void>>();
  private pullOffset: number;
  private committed: number;
  private fenced = false;
  private committing = false;
  /** Who waits for the next change: the scheduler loop, and the fetcher when the window is full. */
  private waiters: Array<() => void> = [];

  constructor(
    private readonly session: QueueSession,
    start: number,
  ) {
    this.pullOffset = start;
    this.committed = start;
  }

  private get going(): boolean {
    return !this.fenced && this.session.isActive();
  }

  async run(): Promise<void> {
    const fetcher = this.fetch();
    for (let round = 1; this.going; round++) {
      this.schedule();
      void this.commit(round % RESEND_ROUNDS === 0);
      await this.changed(TIMING.pullIdleMs);
    }
    await fetcher;
    // Let what is in flight finish (its tasks see `going` false and do not retry).
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
    while (this.committing) await this.changed(RETRY_PAUSE_MS);
    if (!this.fenced) await this.commit();
  }

  /** Resolves when something changes, or after `ms` (so that `going` is checked again). */
  private changed(ms: number): Promise<void> {
    const change = new Promise<void>((resolve) => this.waiters.push(resolve));
    return Promise.race([change, this.session.env.clock.sleep(ms)]);
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async fetch(): Promise<void> {
    while (this.going) {
      const unfinished = this.window.filter((slot) => slot.state !== "finished").length;
      if (unfinished >= WINDOW_MAX) {
        await this.changed(TIMING.pullIdleMs);
        continue;
      }
      const outcome = await pullBatch(this.session, this.pullOffset);
      if (outcome.kind !== "ok" || outcome.reply.kind !== "ok") {
        await this.session.env.clock.sleep(RETRY_PAUSE_MS);
        continue;
      }
      let added = 0;
      for (const message of outcome.reply.messages) {
        if (message.queueOffset !== this.pullOffset) break; // only what continues the window exactly
        this.window.push({ message, state: "waiting" });
        this.pullOffset++;
        added++;
      }
      if (added > 0) this.notify();
      else await this.session.env.clock.sleep(TIMING.pullIdleMs);
    }
  }

  /** Starts every waiting message whose key has nothing unfinished before it. */
  private schedule(): void {
    let running = this.window.filter((slot) => slot.state === "running").length;
    const blocked = new Set<string>();
    for (const slot of this.window) {
      if (slot.state === "finished") continue;
      const key = slot.message.key;
      if (slot.state === "waiting" && !blocked.has(key) && running < IN_FLIGHT_MAX) {
        slot.state = "running";
        running++;
        const task: Promise<void> = this.process(slot).finally(() => {
          this.tasks.delete(task);
          this.notify();
        });
        this.tasks.add(task);
      }
      blocked.add(key);
    }
  }

  /** Runs one message until it is done, the queue is fenced, or the session ends. */
  private async process(slot: Slot): Promise<void> {
    const { session } = this;
    while (this.going) {
      try {
        await session.handler(slot.message, session.token);
        // -- the message's effect is done: the low-water mark may now pass it.
        slot.state = "finished";
        return;
      } catch (error) {
        if (error instanceof FencedError) {
          this.fenced = true;
          return;
        }
        await session.env.clock.sleep(TIMING.suspendMs);
      }
    }
    slot.state = "waiting"; // never started again: the session has ended
  }

  /** Drops finished messages from the front; the offset of the lowest unfinished one. */
  private lowWaterMark(): number {
    while (this.window[0]?.state === "finished") this.window.shift();
    return this.window[0]?.message.queueOffset ?? this.pullOffset;
  }

  /** Commits the low-water mark if it moved, or with `again` even if not; one commit at a time. */
  private async commit(again = false): Promise<void> {
    const offset = this.lowWaterMark();
    if (this.committing || this.fenced || (offset <= this.committed && !again)) return;
    this.committing = true;
    try {
      const answer = await commitUpTo(this.session, offset);
      if (answer === "fenced") this.fenced = true;
      else if (answer === "ok") this.committed = Math.max(this.committed, offset);
    } finally {
      this.committing = false;
      this.notify();
    }
  }
}
