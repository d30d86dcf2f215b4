/**
 * The commit point of a worker whose messages finish out of order (L2.F). Message 12 (key b) may be
 * done while message 10 (key a) is still running; committing 13 would say "everything below 13 is
 * done", and a crash then would skip message 10 for good. The offset that is safe to commit is the
 * smallest one not yet done. RocketMQ's ProcessQueue keeps its messages in flight in a TreeMap by
 * offset and commits its first key (`ProcessQueue.removeMessage`); this keeps a set of them.
 */

/** What is done, and so which offset may be committed. */
export interface Progress {
  /** A message was pulled: it is not done until `done` says so. */
  pulled(offset: number): void;
  done(offset: number): void;
  /** Messages pulled and not yet done. */
  readonly pending: number;
  /** The offset to commit: every message below it is done. `nextPull`: where the next pull starts. */
  commitPoint(nextPull: number): number;
}

export class LowestUnfinished implements Progress {
  private readonly unfinished = new Set<number>();

  pulled(offset: number): void {
    this.unfinished.add(offset);
  }

  done(offset: number): void {
    this.unfinished.delete(offset);
  }

  get pending(): number {
    return this.unfinished.size;
  }

  commitPoint(nextPull: number): number {
    return this.unfinished.size === 0 ? nextPull : Math.min(...this.unfinished);
  }
}
