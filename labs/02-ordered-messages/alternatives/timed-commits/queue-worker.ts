/**
 * Lab 02, L2.C (and L2.E), a correct alternative: the handler loop never commits; a timer does.
 *
 * Written from the stub's contract and the guide only. How it differs, and why it is correct:
 *
 * - The loop pulls and processes one message at a time, in offset order, retrying a failed message
 *   in place after `suspendMs`, and checks `isActive()` before every attempt. It only records
 *   `done`: the offset after the last message whose handler call resolved.
 * - A timer commits `done` every `COMMIT_EVERY_MS` when it moved (Kafka's auto-commit, but of
 *   processed offsets only, never of pulled ones). So commits are never in the handler's path,
 *   and a crash repeats at most what `COMMIT_EVERY_MS` covers: a rewind, which the contract allows.
 *   One commit in flight at a time; a `maybe` is carried by the next tick. Every
 *   `RESEND_TICKS`-th tick commits `done` even if it did not move, as Kafka's auto-commit commits
 *   every interval: an acknowledged commit can be undone by a late copy of an older one.
 * - `fenced`, from a commit or from the handler, stops everything: the timer is cancelled, no
 *   retry, no further commit, and the loop returns before its next attempt (a handler call already
 *   running when a background commit is fenced cannot be recalled; it is fenced by the ledger).
 * - When the session ends, the timer is cancelled and `done` is committed once more, once (the new
 *   owner, if any, has a newer token, so the broker would refuse it).
 * - Requests without an answer (`maybe`) are repeated after `RETRY_PAUSE_MS`: pulls change nothing.
 */
import type { Timer } from "#lab";
import { FencedError, type QueueSession, TIMING } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { commitUpTo, pullBatch, startOffset } from "../broker-requests.ts";

/** Every this many ticks, the timer commits `done` even if the broker acknowledged it. */
const RESEND_TICKS = 4;
/** How often the timer commits the processed offset. */
const COMMIT_EVERY_MS = 25;
/** Pause before repeating a request that got no answer. */
const RETRY_PAUSE_MS = 3;

export async function runOrderlyQueue(session: QueueSession): Promise<void> {
  const start = await startOffset(session, RETRY_PAUSE_MS);
  if (start === undefined) return;
  const committer = new Committer(session, start);
  const timer: Timer = session.env.clock.setInterval(COMMIT_EVERY_MS, () => void committer.commit());
  try {
    await consume(session, committer, start);
  } finally {
    timer.cancel();
  }
  await committer.idle();
  if (!committer.fenced) await committer.commit();
}

/** Pulls and processes until the session ends or the queue is fenced. */
async function consume(session: QueueSession, committer: Committer, start: number): Promise<void> {
  let offset = start;
  while (!committer.fenced && session.isActive()) {
    const outcome = await pullBatch(session, offset);
    if (outcome.kind !== "ok" || outcome.reply.kind !== "ok") {
      await session.env.clock.sleep(RETRY_PAUSE_MS);
      continue;
    }
    const messages = outcome.reply.messages;
    if (messages.length === 0) await session.env.clock.sleep(TIMING.pullIdleMs);
    for (const message of messages) {
      if (message.queueOffset !== offset) break; // only what continues exactly where we are
      if (!(await processInPlace(session, committer, message))) return;
      offset = message.queueOffset + 1;
    }
  }
}

/** Runs the handler on `message` until it succeeds; false if the session ended or was fenced first. */
async function processInPlace(session: QueueSession, committer: Committer, message: StoredMessage): Promise<boolean> {
  while (!committer.fenced && session.isActive()) {
    try {
      await session.handler(message, session.token);
      // -- the message's effect is done: the committed offset may now pass it.
      committer.done = message.queueOffset + 1;
      return true;
    } catch (error) {
      if (error instanceof FencedError) {
        committer.fenced = true;
        return false;
      }
      await session.env.clock.sleep(TIMING.suspendMs);
    }
  }
  return false;
}

/** Commits the processed offset, one request at a time. */
class Committer {
  done: number;
  fenced = false;
  private committed: number;
  private inFlight: Promise<void> | undefined;
  private ticks = 0;

  constructor(
    private readonly session: QueueSession,
    start: number,
  ) {
    this.done = start;
    this.committed = start;
  }

  /** Commits `done` if it moved (or on every RESEND_TICKS-th call) and nothing is in flight. */
  commit(): Promise<void> {
    const again = ++this.ticks % RESEND_TICKS === 0;
    if (this.inFlight !== undefined || this.fenced || (this.done <= this.committed && !again)) {
      return Promise.resolve();
    }
    this.inFlight = this.send(this.done).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Resolves once no commit is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight;
  }

  private async send(offset: number): Promise<void> {
    const answer = await commitUpTo(this.session, offset);
    if (answer === "fenced") this.fenced = true;
    else if (answer === "ok") this.committed = Math.max(this.committed, offset);
    // Unknown: the next tick carries `done` again.
  }
}
