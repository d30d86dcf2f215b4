/**
 * Consumer offsets and the broker's epoch, kept in one small durable document.
 *
 * Committed offsets live in memory and are written to disk every `persistIntervalMs` when they
 * changed, as RocketMQ's ConsumerOffsetManager persists `config/consumerOffset.json` every 5 s. A
 * broker crash therefore loses the last few commits, and consumers resume from an older offset:
 * they see some messages again (a rewind), never skip any. The document is written with lab 00's
 * reference register (temporary file, fsync, rename, fsync of the directory), as Kafka writes its
 * checkpoint files and recent RocketMQ versions their config files (ConfigManager.persist; older
 * releases' MixAll.string2File renamed without any fsync, and files came back empty after power
 * cuts: apache/rocketmq#5905).
 *
 * The epoch goes up by one at every broker start, before the broker serves anything: fencing tokens
 * are built from it so they keep rising across restarts.
 */
import type { Env } from "#lab";
import { openRegister, type Register } from "#labs/00-durable-register/solution/register.ts";

interface Document {
  epoch: number;
  /** "group\u0000topic\u0000queueId" -> [next offset, token of the commit]. */
  offsets: Record<string, [number, number]>;
}

export class OffsetStore {
  private dirty = false;
  private persisting: Promise<void> | null = null;

  private constructor(
    private readonly register: Register,
    private readonly document: Document,
  ) {}

  /** Loads the document, bumps the epoch and makes the new epoch durable. */
  static async open(env: Env): Promise<OffsetStore> {
    const register = await openRegister(env);
    const saved = await register.load();
    const document: Document = saved === undefined ? { epoch: 0, offsets: {} } : (JSON.parse(saved) as Document);
    document.epoch += 1;
    await register.save(JSON.stringify(document));
    return new OffsetStore(register, document);
  }

  get epoch(): number {
    return this.document.epoch;
  }

  /** The committed next offset (0 if none) and the token it was committed under. */
  get(group: string, topic: string, queueId: number): { offset: number; token: number } {
    const entry = this.document.offsets[offsetKey(group, topic, queueId)];
    return entry === undefined ? { offset: 0, token: 0 } : { offset: entry[0], token: entry[1] };
  }

  commit(group: string, topic: string, queueId: number, offset: number, token: number): void {
    this.document.offsets[offsetKey(group, topic, queueId)] = [offset, token];
    this.dirty = true;
  }

  /** Writes the document if it changed (one write at a time). */
  async persist(): Promise<void> {
    if (!this.dirty || this.persisting !== null) return;
    this.dirty = false;
    this.persisting = this.register.save(JSON.stringify(this.document)).finally(() => {
      this.persisting = null;
    });
    await this.persisting;
  }
}

function offsetKey(group: string, topic: string, queueId: number): string {
  return `${group}\u0000${topic}\u0000${queueId}`;
}
