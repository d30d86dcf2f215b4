/**
 * Bug zoo, lab 02: COMMITTING THE HIGHEST FINISHED OFFSET.
 *
 * The reference key-parallel worker with one part replaced: the commit point. It commits one past
 * the highest message that has finished, instead of the lowest one that has not. With keys in
 * parallel, messages finish out of order: message 12 (key b) is done while message 10 (key a) is
 * still being retried. Committing 13 then says "everything below 13 is done", which is false, and a
 * crash at that moment makes the next session start at 13: message 10 is never processed.
 *
 * Why it is tempting: in the one-at-a-time worker "the last message done" and "everything before
 * it is done" are the same thing, and `max` is the natural way to keep a high-water mark that never
 * goes backwards. The bug needs a crash at the wrong moment to show, so it survives casual tests.
 *
 * What they do instead: RocketMQ's ProcessQueue keeps the messages in flight in a TreeMap by offset;
 * removeMessage returns the first key still in the map (or the next offset if it is empty), and that
 * is what the concurrent consumer commits: the smallest unfinished offset. One slow message holds
 * back the commit, so a crash replays everything after it (a rewind), never skips it. Confluent's
 * parallel consumer does the same, and encodes the finished offsets above the commit point in the
 * commit's metadata to replay less.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import type { Progress } from "../../solution/commit-point.ts";
import { keyParallelParts, runKeyParallelWith } from "../../solution/key-parallel-with.ts";

/** A high-water mark of finished messages. */
class HighestFinished implements Progress {
  private highestDone = -1;
  private readonly running = new Set<number>();

  pulled(offset: number): void {
    this.running.add(offset);
  }

  done(offset: number): void {
    this.running.delete(offset);
    this.highestDone = Math.max(this.highestDone, offset);
  }

  get pending(): number {
    return this.running.size;
  }

  /** The bug: one past the highest offset done so far, though lower offsets may still be running. */
  commitPoint(): number {
    return this.highestDone + 1;
  }
}

export function runKeyParallelQueue(session: QueueSession): Promise<void> {
  return runKeyParallelWith({ ...keyParallelParts, progress: () => new HighestFinished() }, session);
}
