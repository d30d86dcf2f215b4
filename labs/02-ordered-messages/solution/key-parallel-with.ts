/**
 * The key-parallel worker, assembled from its parts (key-parallel.ts explains the design). The loop
 * is: pull while fewer than BUFFER_LOW messages are pulled and unfinished; schedule each batch on
 * the keys' chains; commit the commit point after every step; at the end, let every message in
 * flight finish. Five decisions are parts, and a bug-zoo entry replaces one at a time:
 *   chains     which message waits for which (key-chains.ts);
 *   progress   which offset is safe to commit (commit-point.ts);
 *   processOne one message, retried in place while the session lasts (process-in-place.ts);
 *   mayPull    flow control: whether to pull more now;
 *   mustSend   whether the commit point is worth a request now.
 */
import { type QueueSession, TIMING } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { LowestUnfinished, type Progress } from "./commit-point.ts";
import { KeyChains, type KeyScheduler } from "./key-chains.ts";
import { processInPlace } from "./process-in-place.ts";
import { committedOffset, pullFrom, type Step, tryCommit } from "./session-calls.ts";
import { IDLE_PULLS_PER_RECOMMIT } from "./worker-with.ts";

export interface KeyParallelParts {
  chains(): KeyScheduler;
  progress(): Progress;
  /** Runs one message until it is done, or `active()` turns false before an attempt. */
  processOne(session: QueueSession, message: StoredMessage, active: () => boolean): Promise<Step>;
  /** Whether to pull more now, given the messages pulled and not finished. */
  mayPull(progress: Progress, nextPull: number): boolean;
  /**
   * Whether to send the commit point `offset` now, given the last offset the broker acknowledged,
   * where the session started, and whether the queue has been idle long enough to send it again.
   */
  mustSend(offset: number, acknowledged: number, start: number, idleResend: boolean): boolean;
}

export const keyParallelParts: KeyParallelParts = {
  chains: () => new KeyChains(),
  progress: () => new LowestUnfinished(),
  processOne: processInPlace,
  mayPull: (progress) => progress.pending < BUFFER_LOW,
  // Sent when it moved past what the broker acknowledged; and while idle, now and then, even if it
  // did not: an acknowledged commit can still be undone. A duplicate of an older commit, held up in
  // the network, may land after it and set the group's offset back (the broker keeps the last
  // commit it receives), and with no new commit coming, only a re-send puts it right.
  mustSend: (offset, acknowledged, start, idleResend) => offset > acknowledged || (idleResend && offset > start),
};

/** At most this many messages of one queue in flight at once. */
const MAX_IN_FLIGHT = 16;
/**
 * Pull more once fewer than this many messages are waiting or running. It counts messages, not
 * offsets: one slow message far behind the others holds one place, not the whole window. RocketMQ's
 * push consumer also holds back pulls by what a queue has cached, in messages
 * (pullThresholdForQueue, 1,000) and bytes (100 MiB); its third check, the span from the oldest
 * cached offset to the newest (consumeConcurrentlyMaxSpan, 2,000), applies only to concurrent
 * consumption, and there one stuck message stops the queue once the others are 2,000 offsets
 * ahead (DefaultMQPushConsumerImpl.pullMessage). Why 64: about four messages for each of 16 keys.
 * With 32, in a queue of 12 keys whose messages all took 3 to 9 ms, the keys ran dry between two
 * pulls, and the worker reached only 83% of the best a key-ordered worker can do.
 */
const BUFFER_LOW = 64;

export async function runKeyParallelWith(parts: KeyParallelParts, session: QueueSession): Promise<void> {
  const start = await committedOffset(session);
  if (start === null) return;
  const chains = parts.chains();
  const progress = parts.progress();
  const slots = new Slots(MAX_IN_FLIGHT);
  let nextPull = start;
  let acknowledged = start;
  let idlePulls = 0;
  let stopped = false; // fenced: another consumer owns the queue now
  const active = (): boolean => !stopped && session.isActive();

  const run = async (message: StoredMessage): Promise<void> => {
    await slots.acquire();
    try {
      if ((await parts.processOne(session, message, active)) === "continue") progress.done(message.queueOffset);
      // "stop" while the session is still active means fenced. Once the session has ended, a
      // message that never got its turn just stays unfinished: the final commit stops below it.
      else if (session.isActive()) stopped = true;
    } finally {
      slots.release();
    }
  };

  /** Commits the commit point if `mustSend` says so; `idleResend` while the queue is idle. */
  const commit = async (idleResend = false): Promise<void> => {
    const offset = progress.commitPoint(nextPull);
    if (stopped || !parts.mustSend(offset, acknowledged, start, idleResend)) return;
    const outcome = await tryCommit(session, offset);
    if (outcome === "fenced") stopped = true;
    // A lost reply leaves `acknowledged` behind, so the next call sends it again, idle or not.
    else if (outcome === "committed") acknowledged = offset;
  };

  while (active()) {
    if (!parts.mayPull(progress, nextPull)) {
      await Promise.race([chains.someDone(), session.env.clock.sleep(TIMING.pullIdleMs)]);
      await commit();
      continue;
    }
    const pulled = await pullFrom(session, nextPull);
    if (pulled.kind === "resumeAt") nextPull = pulled.offset;
    else if (pulled.kind === "none") {
      await commit(++idlePulls % IDLE_PULLS_PER_RECOMMIT === 0);
      if (!pulled.timedOut) await session.env.clock.sleep(TIMING.pullIdleMs);
    } else {
      for (const message of pulled.messages) progress.pulled(message.queueOffset);
      await chains.schedule(pulled.messages, run);
      nextPull = pulled.nextOffset;
      await commit();
    }
  }
  // Let every message in flight finish before the session ends, then commit what they finished:
  // the lock is still held until this returns. RocketMQ does the same when a rebalance takes a
  // queue away: it persists the queue's offset, then unlocks it (RebalancePushImpl's
  // removeUnnecessaryMessageQueue). Without it, the next owner redoes every message finished here.
  await chains.allDone();
  await commit();
}

/** A counting semaphore: at most `size` holders at once, the others wait in line. */
class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async acquire(): Promise<void> {
    while (this.used >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.used++;
  }

  release(): void {
    this.used--;
    this.waiting.shift()?.();
  }
}
