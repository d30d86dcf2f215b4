/**
 * Queue locks for orderly consumers, with fencing tokens.
 *
 * An orderly consumer may process a queue only while it holds the queue's lock at the broker. A
 * lock is a lease: it lasts `leaseMs` of the broker's clock unless renewed (RocketMQ's
 * RebalanceLockManager: 60 s, renewed by clients every 20 s; broker/client/rebalance/
 * RebalanceLockManager.java). A lease alone cannot stop a consumer that froze (a GC pause, a slow
 * clock) and wakes up believing it still holds the lock. So every grant carries a fencing token
 * that goes up each time the queue changes owner; whatever the consumer touches with its work (the
 * broker's offset store, a downstream database) rejects a token older than the newest it has seen.
 * Tokens come from (broker epoch, counter): the epoch is persisted and bumped at each broker start,
 * so tokens keep rising across restarts even though the locks themselves live in memory.
 *
 * Living in memory, locks are forgotten when the broker restarts, while their holders' leases are
 * still running: a consumer that locked a queue just before the crash goes on processing it. Grant
 * that queue to someone else at once and two consumers process it together. So a restarted broker
 * grants nothing until one full lease has passed: by then every lease from before the crash has
 * ended (Chubby's and NFS's grace period after a restart). RocketMQ's broker does not wait, which is
 * one way order breaks around a broker failover; fencing (L2.E) covers that case too. A broker's very
 * first start (epoch 1: no offsets document existed) has no earlier leases to wait out, and grants
 * at once.
 */
import type { LockGrant } from "./protocol.ts";

interface Lock {
  owner: string;
  token: number;
  expiresAtMs: number;
}

/** Tokens within one broker epoch. 2^20 grants per epoch is far more than any run makes. */
const TOKENS_PER_EPOCH = 1 << 20;

export class LockManager {
  private readonly locks = new Map<string, Lock>();
  private nextCounter = 1;

  /**
   * @param epoch this broker incarnation's epoch (see offsets.ts).
   * @param leaseMs how long a grant lasts unless renewed.
   * @param startedAtMs the broker's clock when it started: after a restart (epoch > 1), no grants
   *   for one lease after it.
   */
  constructor(
    private readonly epoch: number,
    readonly leaseMs: number,
    startedAtMs: number,
  ) {
    this.graceEndsAtMs = epoch > 1 ? startedAtMs + leaseMs : Number.NEGATIVE_INFINITY;
  }

  /** Before this time of the broker's clock, no lock is granted: every earlier lease may still run. */
  private readonly graceEndsAtMs: number;

  /** Grants or renews the lock on each queue that is free, expired, or already `consumerId`'s. */
  lock(group: string, topic: string, consumerId: string, queueIds: readonly number[], nowMs: number): LockGrant[] {
    if (nowMs < this.graceEndsAtMs) return []; // the grace period after a restart
    const granted: LockGrant[] = [];
    for (const queueId of queueIds) {
      const key = lockKey(group, topic, queueId);
      const current = this.locks.get(key);
      if (current !== undefined && current.owner !== consumerId && current.expiresAtMs > nowMs) continue;
      const token = current?.owner === consumerId && current.expiresAtMs > nowMs ? current.token : this.newToken();
      this.locks.set(key, { owner: consumerId, token, expiresAtMs: nowMs + this.leaseMs });
      granted.push({ queueId, token, leaseMs: this.leaseMs });
    }
    return granted;
  }

  /** Releases the lock if `consumerId` holds it. */
  unlock(group: string, topic: string, consumerId: string, queueId: number): boolean {
    const key = lockKey(group, topic, queueId);
    if (this.locks.get(key)?.owner !== consumerId) return false;
    this.locks.delete(key);
    return true;
  }

  /**
   * The newest token issued for the queue in this epoch, or 0. A token below it is stale. (After a
   * broker restart this is 0 until someone locks again, and every earlier token is from an older
   * epoch: all of them are below any new one.)
   */
  currentToken(group: string, topic: string, queueId: number): number {
    return this.locks.get(lockKey(group, topic, queueId))?.token ?? 0;
  }

  private newToken(): number {
    return this.epoch * TOKENS_PER_EPOCH + this.nextCounter++;
  }
}

function lockKey(group: string, topic: string, queueId: number): string {
  return `${group}\u0000${topic}\u0000${queueId}`;
}
