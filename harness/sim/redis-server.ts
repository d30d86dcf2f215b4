/**
 * The Redis model's server: its keys and its commands, one at a time, each at one instant of the
 * server's clock. `redis.ts` puts it on the world's scheduler, between the clients' processes and
 * faults; a real-time fallback can drive it with the real clock.
 *
 * State: each key's value and its deadline (or none). A key is alive while the server's time is at
 * most its deadline, as Redis's `keyIsExpired` (`now > when`) decides, and gone for every command
 * after that. Redis reclaims expired keys lazily and by sampling; that changes memory, never what a
 * command sees, so the model simply treats an expired key as absent.
 *
 * Every command that ran is recorded (`history`) with the server's time, the client and the
 * result, so that a checker can tell who held a key when: the model's ground truth, never what
 * a client believed.
 */
import type { RedisCommand, RedisResult } from "../redis.ts";

/** A key's value and its deadline on the server's clock (null: it never expires). */
interface Entry {
  value: string;
  deadlineMs: number | null;
}

/** One command that ran at the server, for checkers. */
export interface RedisRecord {
  /** The server's clock when it ran (skew included). */
  serverMs: number;
  nodeId: string;
  incarnation: number;
  command: RedisCommand;
  result: RedisResult;
}

/** Something that happened to the keys without a command: a restart, an eviction, a clock jump. */
export interface RedisIncident {
  serverMs: number;
  what: "restart" | "evict" | "skew";
  /** The keys it removed (a restart: all; a clock jump: those it expired). */
  keys: string[];
}

/** What the server needs from its host. */
export interface RedisHost {
  /** The server's clock, in milliseconds. */
  nowMs(): number;
}

export class RedisServer {
  /** Every command that ran, in the order it ran. */
  readonly history: RedisRecord[] = [];
  readonly incidents: RedisIncident[] = [];
  private readonly keys = new Map<string, Entry>();

  constructor(private readonly host: RedisHost) {}

  /** Runs one command now and records it. */
  run(nodeId: string, incarnation: number, command: RedisCommand): RedisResult {
    const result = this.execute(command);
    this.history.push({ serverMs: this.host.nowMs(), nodeId, incarnation, command, result });
    return result;
  }

  /** The live keys and their values, in key order (for checkers and tests). */
  snapshot(): { key: string; value: string; deadlineMs: number | null }[] {
    const live: { key: string; value: string; deadlineMs: number | null }[] = [];
    for (const key of [...this.keys.keys()].sort()) {
      const entry = this.live(key);
      if (entry !== undefined) live.push({ key, value: entry.value, deadlineMs: entry.deadlineMs });
    }
    return live;
  }

  /** The server lost every key (a restart without persistence). */
  flushAll(): void {
    this.incidents.push({ serverMs: this.host.nowMs(), what: "restart", keys: this.liveKeys() });
    this.keys.clear();
  }

  /**
   * Drops up to `count` live keys that have a deadline, soonest deadline first (ties by key), as
   * `maxmemory-policy volatile-ttl` does when memory runs short. Returns the keys dropped.
   */
  evict(count: number): string[] {
    const volatile = this.liveKeys()
      .map((key) => ({ key, deadlineMs: this.keys.get(key)?.deadlineMs ?? null }))
      .filter((e): e is { key: string; deadlineMs: number } => e.deadlineMs !== null)
      .sort((a, b) => a.deadlineMs - b.deadlineMs || (a.key < b.key ? -1 : 1))
      .slice(0, count)
      .map((e) => e.key);
    for (const key of volatile) this.keys.delete(key);
    this.incidents.push({ serverMs: this.host.nowMs(), what: "evict", keys: volatile });
    return volatile;
  }

  /** Records the keys a forward jump of the server's clock expired (call it after the jump). */
  noteSkew(liveBefore: readonly string[]): void {
    const now = new Set(this.liveKeys());
    this.incidents.push({ serverMs: this.host.nowMs(), what: "skew", keys: liveBefore.filter((k) => !now.has(k)) });
  }

  /** The keys alive now, in key order. */
  liveKeys(): string[] {
    return [...this.keys.keys()].filter((key) => this.live(key) !== undefined).sort();
  }

  // ---- The commands ---------------------------------------------------------------------------

  private execute(command: RedisCommand): RedisResult {
    const entry = this.live(command.key);
    switch (command.op) {
      case "set": {
        if ((command.nx && entry !== undefined) || (command.xx && entry === undefined)) return null;
        const deadlineMs = command.pxMs === null ? null : this.host.nowMs() + command.pxMs;
        this.keys.set(command.key, { value: command.value, deadlineMs });
        return "OK";
      }
      case "get":
        return entry?.value ?? null;
      case "del":
        if (entry === undefined) return 0;
        this.keys.delete(command.key);
        return 1;
      case "pttl":
        if (entry === undefined) return -2;
        return entry.deadlineMs === null ? -1 : Math.ceil(entry.deadlineMs - this.host.nowMs());
      case "pexpire":
        return entry !== undefined && this.expire(command.key, entry, command.ms);
      case "delIfEquals":
        return entry !== undefined && entry.value === command.value && this.keys.delete(command.key);
      case "pexpireIfEquals":
        return entry !== undefined && entry.value === command.value && this.expire(command.key, entry, command.ms);
    }
  }

  /** PEXPIRE on a live key: a new deadline, or (0 or less) deletion. Always true. */
  private expire(key: string, entry: Entry, ms: number): true {
    if (ms <= 0) this.keys.delete(key);
    else entry.deadlineMs = this.host.nowMs() + ms;
    return true;
  }

  /** The key's entry if it is alive now; an expired one is removed first (it is gone). */
  private live(key: string): Entry | undefined {
    const entry = this.keys.get(key);
    if (entry === undefined) return undefined;
    if (entry.deadlineMs !== null && this.host.nowMs() > entry.deadlineMs) {
      this.keys.delete(key);
      return undefined;
    }
    return entry;
  }
}
