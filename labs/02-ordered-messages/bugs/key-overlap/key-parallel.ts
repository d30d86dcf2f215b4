/**
 * Bug zoo, lab 02: KEY CHAINS THAT END AT THE BATCH BOUNDARY.
 *
 * The reference key-parallel worker with one part replaced: the chains. They are kept per pulled
 * batch: a message waits for the previous message of its key *in the same batch*, and the first
 * message of a key in a new batch starts at once. Within a batch, each key is in order; across two
 * batches it is not: the last message of key a from batch 1 may still be running (being retried,
 * say) when the first message of key a from batch 2 starts. Two messages of one key run at the same
 * time, and the later one may well finish first.
 *
 * Why it is tempting: grouping a batch by key and running the groups in parallel is the obvious
 * code (`groupBy(batch, key)`, one promise per group), it is fast, and it is correct whenever a
 * batch is finished before the next arrives, which is what happens in a quick test. Pulling the
 * next batch before the last one is done is what makes it fast, and what breaks it.
 *
 * What they do instead: the key's chain must outlive the batch: keep, per key, the promise of its
 * last scheduled message for as long as it runs (the reference's KeyChains). RocketMQ's orderly
 * consumer has no key parallelism inside a queue at all (ConsumeMessageOrderlyService: one thread per
 * queue, under the ProcessQueue's consume lock); Confluent's parallel consumer, in KEY order mode,
 * tracks in-flight work per key across polls.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import type { KeyScheduler } from "../../solution/key-chains.ts";
import { keyParallelParts, runKeyParallelWith } from "../../solution/key-parallel-with.ts";

/** Each batch grouped by key; each group runs in order, the groups side by side. */
class BatchGroups implements KeyScheduler {
  private readonly running = new Set<Promise<void>>();

  async schedule(batch: readonly StoredMessage[], run: (message: StoredMessage) => Promise<void>): Promise<void> {
    const groups = new Map<string, StoredMessage[]>();
    for (const message of batch) groups.set(message.key, [...(groups.get(message.key) ?? []), message]);
    // The bug: a group starts at once, whether or not its key's previous batch is done.
    for (const group of groups.values()) {
      const done = (async () => {
        for (const message of group) await run(message);
      })();
      this.running.add(done);
      void done.then(() => this.running.delete(done));
    }
  }

  someDone(): Promise<void> {
    return this.running.size === 0 ? Promise.resolve() : Promise.race(this.running);
  }

  async allDone(): Promise<void> {
    await Promise.all(this.running);
  }
}

export function runKeyParallelQueue(session: QueueSession): Promise<void> {
  return runKeyParallelWith({ ...keyParallelParts, chains: () => new BatchGroups() }, session);
}
