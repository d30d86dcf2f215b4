/**
 * The simulated Redis: one server (`redis-server.ts`) on a machine of its own, on the world's
 * scheduler, with its clients' connections and the faults that break them, keeping the contract of
 * `Redis` (harness/redis.ts).
 *
 * Time: a command is a round trip, a draw of `networkMs` each way; it runs at the instant it
 * arrives, atomically. Keys expire on the server's clock: the world's time plus a skew that a
 * fault can jump. A command sent before its client died still arrives and runs (bytes on the wire);
 * a dead incarnation's calls never settle, and replies go only to the incarnation that asked.
 *
 * Faults a workload or fault plan can inject (none happens unless asked for):
 * - `cut(nodeId)` / `heal(nodeId)`: the node cannot reach Redis. A command it sends fails with
 *   `RedisUnavailable` after `brokenConnectionMs`; one already on its way is lost, and one whose
 *   reply is on its way has run; both callers get `RedisOutcomeUnknown` after `brokenConnectionMs`.
 * - `restart(downMs)`: the server dies and comes back after `downMs` with no keys (no persistence,
 *   as this machine's Redis runs). Commands and replies in flight are lost as with a cut.
 * - `loseReplies(nodeId, count)`: the node's next `count` commands run, and their replies are lost:
 *   `RedisOutcomeUnknown` (until disarmed).
 * - `skew(deltaMs)`: the server's clock jumps (forward: keys expire early, as after an NTP step on
 *   the Redis host).
 * - `evict(count)`: up to `count` keys with an expiry are dropped, soonest deadline first
 *   (`maxmemory-policy volatile-ttl`).
 * A crash can also be aimed at a node's "redis" gap (`SimNode.armTrip("redis", n, fire)`): it
 * strikes right after the node's n-th command that changed a key took effect, before the caller
 * hears back.
 *
 * Where the model is simpler than Redis: no replication or failover (so no acknowledged write lost
 * to a promoted replica), no memory limit except `evict`, no pipelining, MULTI or general scripts;
 * a client notices a broken connection after a fixed `brokenConnectionMs`.
 */
import type { Env } from "../env.ts";
import {
  describeCommand,
  type Redis,
  type RedisCommand,
  type RedisError,
  RedisOutcomeUnknown,
  type RedisResult,
  RedisUnavailable,
  redisOver,
} from "../redis.ts";
import { type RedisIncident, type RedisRecord, RedisServer } from "./redis-server.ts";
import { type Client, CountedFaults, clientOf, hearBack, type LinkProfile, SideService } from "./side-service.ts";
import type { World } from "./world.ts";

export type { RedisIncident, RedisRecord } from "./redis-server.ts";

/** How fast the simulated Redis is: the way to it. */
export type RedisProfile = LinkProfile;

/** A server on the same rack: a command's round trip in 0.1-0.6 ms. */
export const defaultRedisProfile: RedisProfile = {
  networkMs: [0.05, 0.3],
  brokenConnectionMs: 100,
};

/** A command whose caller heard an error instead of a reply. */
export interface RedisFailure {
  /** When the caller heard it, on the world's clock. */
  atMs: number;
  nodeId: string;
  command: RedisCommand;
  /** It never reached the server (unavailable), as opposed to an outcome unknown. */
  definitelyNotRun: boolean;
}

/** The simulated Redis of one world. */
export class SimRedis extends SideService<RedisProfile> {
  private readonly server: RedisServer;
  private skewMs = 0;
  /** Bumped for a node at each cut and for every node at each restart: what was in flight is lost. */
  private readonly linkEpochs = new Map<string, number>();
  private restarts = 0;
  private readonly lostReplies = new CountedFaults();
  private readonly failed: RedisFailure[] = [];

  constructor(world: World, profile: Partial<RedisProfile> = {}) {
    super(world, "redis", { ...defaultRedisProfile, ...profile });
    this.server = new RedisServer({ nowMs: () => this.serverNowMs });
  }

  /** The `Redis` for the process `env` belongs to (call it in the node's boot function). */
  connect(env: Env): Redis {
    const client = clientOf(this.world, env);
    return redisOver((command) => this.call(client, command));
  }

  // ---- What checkers read -------------------------------------------------------------------

  /** The server's clock now: the world's time plus its skew. */
  get serverNowMs(): number {
    return this.world.nowMs + this.skewMs;
  }

  /** Every command that ran, in the order it ran. */
  get history(): readonly RedisRecord[] {
    return this.server.history;
  }

  /** Restarts, evictions and clock jumps, in order. */
  get incidents(): readonly RedisIncident[] {
    return this.server.incidents;
  }
  /**
   * Every command whose caller heard an error instead of a reply, as it heard it (the world's
   * clock): `definitelyNotRun` when it never reached the server. A grader reads it to tell a
   * consumer that knew Redis was unreachable from one that ignored what Redis said.
   */
  get failures(): readonly RedisFailure[] {
    return this.failed;
  }

  /** The live keys now, in key order. */
  snapshot(): { key: string; value: string; deadlineMs: number | null }[] {
    return this.server.snapshot();
  }

  // ---- Faults -------------------------------------------------------------------------------

  /** Cuts `nodeId` off Redis until a `heal(nodeId)` for each cut; what it has in flight is lost. */
  cut(nodeId: string): void {
    this.reach.cut(nodeId);
    this.linkEpochs.set(nodeId, (this.linkEpochs.get(nodeId) ?? 0) + 1);
    this.world.traceEvent(nodeId, "redis", "cut off from Redis");
  }

  heal(nodeId: string): void {
    if (this.reach.heal(nodeId)) this.world.traceEvent(nodeId, "redis", "reaches Redis again");
  }

  /** The server dies and is back after `downMs`, with no keys. */
  restart(downMs: number): void {
    this.reach.down(downMs);
    this.restarts += 1;
    this.server.flushAll();
    this.world.traceEvent("-", "redis", `Redis restarts (down ${downMs} ms), every key lost`);
  }

  /** The next `count` commands of `nodeId` run, and their replies are lost (until disarmed). */
  loseReplies(nodeId: string, count: number): { disarm(): void } {
    return this.lostReplies.arm({ nodeId, left: count });
  }

  /** The server's clock jumps by `deltaMs` (forward: keys expire early). */
  skew(deltaMs: number): void {
    const before = this.server.liveKeys();
    this.skewMs += deltaMs;
    this.server.noteSkew(before);
    this.world.traceEvent("-", "redis", `Redis clock jumps ${deltaMs >= 0 ? "+" : ""}${deltaMs} ms`);
  }

  /** Drops up to `count` keys with an expiry, soonest deadline first; returns them. */
  evict(count: number): string[] {
    const keys = this.server.evict(count);
    this.world.traceEvent("-", "redis", `evicted ${keys.length === 0 ? "nothing" : keys.join(", ")}`);
    return keys;
  }

  // ---- A command: to the server and back ----------------------------------------------------

  private call(client: Client, command: RedisCommand): Promise<RedisResult> {
    // A dead process's calls never settle, as everything else it waits for.
    if (!client.alive()) return new Promise(() => {});
    const nodeId = client.node.id;
    const what = describeCommand(command);
    return new Promise((resolve, reject) => {
      const fail = (error: RedisError): void => {
        this.world.scheduler.after(this.profile.brokenConnectionMs, nodeId, `redis ${what} failed`, () => {
          if (!client.alive()) return;
          this.failed.push({ atMs: this.world.nowMs, nodeId, command, definitelyNotRun: error.definitelyNotRun });
          this.world.traceEvent(nodeId, "redis", `${what} failed: ${error.message}`);
          reject(error);
        });
      };
      if (!this.reachable(nodeId)) {
        fail(new RedisUnavailable(this.reach.isDown ? "the server is down" : "unreachable"));
        return;
      }
      const link = this.link(nodeId);
      this.world.scheduler.after(this.oneWayMs(), null, `redis ${what}`, () => {
        // Sent before a cut or a restart: lost on the way.
        if (this.link(nodeId) !== link || !this.reachable(nodeId)) {
          fail(new RedisOutcomeUnknown("the connection broke"));
          return;
        }
        const result = this.server.run(nodeId, client.incarnation, command);
        this.world.traceEvent(nodeId, "redis", `${what} -> ${formatResult(result)}`);
        if (this.takeLostReply(nodeId)) {
          fail(new RedisOutcomeUnknown("the reply was lost"));
          return;
        }
        this.reply(client, link, what, changed(command, result), () => resolve(result), fail);
      });
    });
  }

  /**
   * The reply travels back; only the incarnation that asked, alive, hears it. For a command that
   * changed a key, a fault aimed at the node's "redis" gap strikes first.
   */
  private reply(
    client: Client,
    link: string,
    what: string,
    wrote: boolean,
    settle: () => void,
    fail: (error: RedisError) => void,
  ): void {
    const nodeId = client.node.id;
    this.world.scheduler.after(this.oneWayMs(), nodeId, `redis ${what} reply`, () => {
      if (!client.alive()) return;
      if (this.link(nodeId) !== link) {
        fail(new RedisOutcomeUnknown("the connection broke before the reply"));
        return;
      }
      hearBack(this.world, client.node, wrote ? { boundary: "redis", what } : null, `redis ${what} reply`, settle);
    });
  }

  /** Spends one armed lost-reply fault of `nodeId`; true if there was one. */
  private takeLostReply(nodeId: string): boolean {
    return this.lostReplies.take((f) => f.nodeId === nodeId);
  }

  /** The state of the node's link: changes at each of its cuts and at each restart. */
  private link(nodeId: string): string {
    return `${this.linkEpochs.get(nodeId) ?? 0}/${this.restarts}`;
  }
}

/** True if the command changed a key (a fault may be aimed right after it). */
function changed(command: RedisCommand, result: RedisResult): boolean {
  switch (command.op) {
    case "set":
      return result === "OK";
    case "del":
      return result === 1;
    case "pexpire":
    case "delIfEquals":
    case "pexpireIfEquals":
      return result === true;
    case "get":
    case "pttl":
      return false;
  }
}

function formatResult(result: RedisResult): string {
  return result === null ? "nil" : typeof result === "string" ? JSON.stringify(result) : String(result);
}
