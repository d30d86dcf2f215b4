/**
 * Late copies of commits (L2.C, L2.F): some of the consumer's `commitOffset` requests reach the
 * broker a second time, long after the first, as a duplicate held up in the network does (a
 * retransmission that took another path, a proxy that replays). The broker keeps the last commit
 * it receives under a current token, so a late copy of an older commit sets the group's offset
 * back, after the worker was told that a newer one had landed.
 *
 * Nothing the worker did was wrong, and nothing is lost: the copy is harmless if the worker goes
 * on committing. But a worker that sends its commit point only when it moved, or only when the
 * reply to its last commit was lost, has no reason to send it again once the queue is quiet, and
 * the group's offset stays behind for good: whoever takes the queue over next processes the tail
 * again. The contract asks it to send the offset again now and then while it is idle, as
 * RocketMQ's client does for every queue it holds (MQClientInstance.persistAllConsumerOffset).
 *
 * The network's own duplicates (plan.net.duplicateRate) are held up at most a few milliseconds, so
 * they land after a newer commit only rarely, and a default grade did not meet the case; these are
 * aimed: every `every`-th commit of each consumer arrives again, each copy held up for its own time
 * of up to `delayMsMax`. (With one delay for all, copies would arrive in the order of their
 * originals, and the copy of the last commit, landing last, would put right what the others undid.)
 */
import { ordinal } from "#harness/faults/plan.ts";
import type { SimRng } from "#harness/sim/rng.ts";
import { formatMs } from "#harness/sim/trace.ts";
import type { History } from "#harness/workloads/history.ts";
import type { Env } from "#lab";
import type { BrokerRequest } from "#labs/shared/broker/protocol.ts";

export interface LateCopies {
  /** Every this many commits a consumer incarnation sends, the last of them arrives again. */
  every: number;
  /** The longest a copy is held up: each waits between COPY_DELAY_MS_MIN and this, then goes. */
  delayMsMax: number;
}

/** The shortest a copy is held up. */
export const COPY_DELAY_MS_MIN = 10;

export function describeLateCopies(copies: LateCopies): string {
  const which =
    copies.every === 1 ? "every commitOffset request" : `every ${ordinal(copies.every)} commitOffset request`;
  return `${which} c1 sends reaches the broker a second time, ${COPY_DELAY_MS_MIN} to ${copies.delayMsMax} ms later (a duplicate held up in the network): a copy of an older commit that lands after a newer one sets the group's offset back`;
}

/**
 * The copies of one run, made for every consumer node's env, and when the last one is sent: the
 * run's liveness check waits for it, as it waits for every other fault to be over.
 */
export class LateCopyTracker {
  /** True time by which every copy scheduled so far has been sent (it then needs a round trip). */
  lastSentAtMs = 0;
  /** Every copy delivered, in order: the report names the one that set a queue back. */
  readonly delivered: Array<{ queueId: number; offset: number; sentAtMs: number; againAtMs: number }> = [];

  constructor(
    readonly copies: LateCopies,
    private readonly history: History,
    private readonly trueNowMs: () => number,
    /** Draws each copy's delay: the world's, so that a seed always gives the same run. */
    private readonly rng: SimRng,
    /** True once the workload's processing is over: later commits are not copied. */
    private readonly over: () => boolean,
  ) {}

  /**
   * A consumer's env whose commits are copied. Wrap it under the env that records what the
   * consumer sends (consume.ts's observeCommits): a copy is the network's doing, not the
   * consumer's, and must not count as a commit it sent.
   */
  wrap(env: Env): Env {
    let commits = 0;
    const net: Env["net"] = {
      ...env.net,
      request: <TReply>(to: string, request: unknown, options: { timeoutMs: number }) => {
        const sent = request as BrokerRequest;
        if (sent.type === "commitOffset" && !this.over() && ++commits % this.copies.every === 0) {
          const copy = structuredClone(sent);
          const sentAtMs = this.trueNowMs();
          const delayMs = this.rng.between(COPY_DELAY_MS_MIN, this.copies.delayMsMax);
          this.lastSentAtMs = Math.max(this.lastSentAtMs, sentAtMs + delayMs);
          env.clock.setTimer(delayMs, () => {
            const { queueId, offset } = copy;
            this.delivered.push({ queueId, offset, sentAtMs, againAtMs: this.trueNowMs() });
            this.history.nemesis(
              `the network sends a held-up copy of ${copy.consumerId}'s commitOffset(queue ${copy.queueId}, offset ${copy.offset}, token ${copy.token}), first sent at ${formatMs(sentAtMs)}`,
            );
            // The copy's reply goes nowhere: the consumer never sent it.
            void env.net.request(to, copy, options);
          });
        }
        return env.net.request<TReply>(to, request, options);
      },
    };
    return { ...env, net };
  }
}

/**
 * Why a queue's committed offset stayed at `committed`, if a late copy explains it: the last copy
 * delivered to that queue carried that very offset. Null otherwise.
 */
export function copyThatSetBack(tracker: LateCopyTracker | null, queueId: number, committed: number): string | null {
  const last = tracker?.delivered.filter((c) => c.queueId === queueId).at(-1);
  if (last === undefined || last.offset !== committed) return null;
  return `A copy of an older commit (offset ${last.offset}, first sent at ${formatMs(last.sentAtMs)}), held up in the network, reached the broker again at ${formatMs(last.againAtMs)}, after your later commits: the broker keeps the last commit it receives, and no commit of a higher offset reached it after that.`;
}
