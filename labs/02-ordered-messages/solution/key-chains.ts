/**
 * Per-key chains (L2.F): each key's messages run one after another, in offset order, and different
 * keys run side by side. A message waits for the previous message *of its key*, whichever batch
 * that one came in: a chain lives as long as its key has work, not as long as a pull.
 */
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";

/** Schedules pulled messages on their keys' chains. */
export interface KeyScheduler {
  /** Schedules one pulled batch; resolves once the batch is scheduled (not done). */
  schedule(batch: readonly StoredMessage[], run: (message: StoredMessage) => Promise<void>): Promise<void>;
  /** Resolves once some scheduled message has finished (at once if none is running). */
  someDone(): Promise<void>;
  /** Resolves once every scheduled message has finished. */
  allDone(): Promise<void>;
}

export class KeyChains implements KeyScheduler {
  /** Per key, the promise of its last scheduled message. */
  private readonly tails = new Map<string, Promise<void>>();

  async schedule(batch: readonly StoredMessage[], run: (message: StoredMessage) => Promise<void>): Promise<void> {
    for (const message of batch) {
      const previous = this.tails.get(message.key) ?? Promise.resolve();
      const chain = previous.then(() => run(message));
      this.tails.set(message.key, chain);
      void chain.then(() => {
        if (this.tails.get(message.key) === chain) this.tails.delete(message.key);
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
