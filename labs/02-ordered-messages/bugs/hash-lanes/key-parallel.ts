/**
 * Bug zoo, lab 02: KEYS IN A FIXED NUMBER OF LANES, PICKED BY HASH.
 *
 * The reference key-parallel worker with one part replaced: the chains. Instead of one chain per
 * key, there are 16 lanes, and a message goes to the lane its key hashes to; each lane runs its
 * messages one after another. The messages of a key are always in one lane, so a key's order
 * holds, and 16 lanes are plenty fast. But two keys that hash to the same lane wait for each other:
 * when one of them is stuck (every attempt fails for a while), the other is stuck with it, though
 * it does not depend on it.
 *
 * Why it is tempting: "N threads, a key always on the same thread" is the textbook way to
 * parallelise a partition by key (a thread pool indexed by `hash(key) % N`), it needs no per-key
 * bookkeeping, and it passes the throughput test.
 *
 * What they do instead: a chain per key, created when a key gets work and dropped when its work
 * is done (the reference's KeyChains), so that nothing waits for a key it has nothing to do with.
 * Confluent's parallel consumer, in its key-ordered mode, tracks work per key, not per lane.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { javaStringHashCode } from "../../solution/java-hash.ts";
import type { KeyScheduler } from "../../solution/key-chains.ts";
import { keyParallelParts, runKeyParallelWith } from "../../solution/key-parallel-with.ts";

const LANES = 16;

class HashLanes implements KeyScheduler {
  /** Per lane, the promise of its last scheduled message. */
  private readonly tails = new Map<number, Promise<void>>();

  async schedule(batch: readonly StoredMessage[], run: (message: StoredMessage) => Promise<void>): Promise<void> {
    for (const message of batch) {
      // The bug: the lane, not the key, decides who waits for whom.
      const lane = Math.abs(javaStringHashCode(message.key) % LANES);
      const chain = (this.tails.get(lane) ?? Promise.resolve()).then(() => run(message));
      this.tails.set(lane, chain);
      void chain.then(() => {
        if (this.tails.get(lane) === chain) this.tails.delete(lane);
      });
    }
  }

  someDone(): Promise<void> {
    return this.tails.size === 0 ? Promise.resolve() : Promise.race(this.tails.values());
  }

  async allDone(): Promise<void> {
    await Promise.all(this.tails.values());
  }
}

export function runKeyParallelQueue(session: QueueSession): Promise<void> {
  return runKeyParallelWith({ ...keyParallelParts, chains: () => new HashLanes() }, session);
}
