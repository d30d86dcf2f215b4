/**
 * Bug zoo, lab 02: EACH BATCH FINISHED BEFORE THE NEXT IS PULLED.
 *
 * The reference key-parallel worker with one part replaced: the chains. A pulled batch is grouped
 * by key, the groups run side by side (each key in order), and the next pull waits until the whole
 * batch is done. Order is perfect: a key's messages never overlap, since one batch ends before the
 * next begins. Throughput is fine too when every message takes the same time. But one message that
 * keeps failing (a row locked by a long transaction) holds its batch open, and with it every other
 * key: the queue is back to one-at-a-time, waiting on the slowest key.
 *
 * Why it is tempting: `await Promise.all(groups)` is the obvious code, it reads as "process the
 * batch in parallel", and it keeps the commit simple (commit the batch's end once it is done).
 *
 * What they do instead: Confluent's parallel consumer keeps polling while records are in flight
 * and schedules each key's records as its previous ones finish, with a bound on the records
 * buffered, not a barrier; RocketMQ's concurrent consumer likewise keeps pulling into its
 * ProcessQueue while earlier messages are being consumed (up to pullThresholdForQueue).
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import type { KeyScheduler } from "../../solution/key-chains.ts";
import { keyParallelParts, runKeyParallelWith } from "../../solution/key-parallel-with.ts";

class BatchBarrier implements KeyScheduler {
  async schedule(batch: readonly StoredMessage[], run: (message: StoredMessage) => Promise<void>): Promise<void> {
    const byKey = new Map<string, StoredMessage[]>();
    for (const message of batch) byKey.set(message.key, [...(byKey.get(message.key) ?? []), message]);
    // The bug: the batch is done before anything else is pulled, so its slowest key holds back all.
    await Promise.all(
      [...byKey.values()].map(async (messages) => {
        for (const message of messages) await run(message);
      }),
    );
  }

  async someDone(): Promise<void> {}

  async allDone(): Promise<void> {}
}

export function runKeyParallelQueue(session: QueueSession): Promise<void> {
  return runKeyParallelWith({ ...keyParallelParts, chains: () => new BatchBarrier() }, session);
}
