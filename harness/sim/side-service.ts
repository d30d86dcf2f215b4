/**
 * What the world's outside services have in common: the business database (db.ts) and Redis
 * (redis.ts). Each runs on a machine of its own, outside the fault plan's nodes, and serves the
 * processes of the nodes over connections that a fault can break. Both models keep, the same way:
 *
 * - who is on the client end of a call: one incarnation of a node's process (`Client`); a dead
 *   one's calls never settle, and only the incarnation that asked hears a reply;
 * - which nodes are cut off the service, and until when it is down after a restart
 *   (`Reachability`): cuts of one node may overlap, and it reaches the service again only when the
 *   last one ends;
 * - counted faults armed on a node's next calls, spent one a call, until disarmed
 *   (`CountedFaults`);
 * - the gap after a call that changed something (`hearBack`): a fault aimed at the node's
 *   boundary strikes before the caller hears back, and a paused caller hears when it resumes.
 *
 * `SideService` is the base of both models: their profile's network part, their random stream,
 * their reachability. What differs (connections and transactions for the database, one command a
 * round trip for Redis) stays in each model.
 */
import type { Env } from "../env.ts";
import { drawLatency, type LatencyMs } from "./latency.ts";
import type { Boundary, SimNode } from "./node.ts";
import type { SimRng } from "./rng.ts";
import type { World } from "./world.ts";

/** How fast the way to a service is (each service's profile adds its own timings). */
export interface LinkProfile {
  /** One way between a client and the server, drawn per message. */
  networkMs: LatencyMs;
  /** How long a client takes to notice a broken connection or an unreachable server. */
  brokenConnectionMs: number;
}

/** A service on a machine of its own, on the world's scheduler. */
export abstract class SideService<TProfile extends LinkProfile> {
  readonly profile: TProfile;
  /** The service's own random stream, forked from the world's under its name. */
  protected readonly rng: SimRng;
  protected readonly reach: Reachability;

  protected constructor(
    protected readonly world: World,
    name: string,
    profile: TProfile,
  ) {
    this.profile = profile;
    this.rng = world.rootRng.fork(name);
    this.reach = new Reachability(() => world.nowMs);
  }

  /** How long one message takes between a client and the server (a draw). */
  protected oneWayMs(): number {
    return drawLatency(this.profile.networkMs, this.rng);
  }

  protected reachable(nodeId: string): boolean {
    return this.reach.reachable(nodeId);
  }
}

/** Who is on the client end of a connection: one incarnation of a node's process. */
export interface Client {
  node: SimNode<unknown>;
  incarnation: number;
  alive(): boolean;
}

/** The client of the process `env` belongs to. */
export function clientOf(world: World, env: Env): Client {
  const node = world.node(env.nodeId);
  return {
    node,
    incarnation: env.incarnation,
    alive: () => node.isUp && node.incarnation?.number === env.incarnation,
  };
}

/** Which nodes are cut off a service, and until when the service is down. */
export class Reachability {
  /** How many cuts each node is under (cuts may overlap; each heal ends one). */
  private readonly cutNodes = new Map<string, number>();
  private downUntilMs = 0;

  constructor(private readonly nowMs: () => number) {}

  /** One more cut of `nodeId`. */
  cut(nodeId: string): void {
    this.cutNodes.set(nodeId, (this.cutNodes.get(nodeId) ?? 0) + 1);
  }

  /** Ends one cut of `nodeId`; true if that was its last (it reaches the service again). */
  heal(nodeId: string): boolean {
    const cuts = this.cutNodes.get(nodeId) ?? 0;
    if (cuts > 1) {
      this.cutNodes.set(nodeId, cuts - 1);
      return false;
    }
    return this.cutNodes.delete(nodeId);
  }

  /** The service is down for `downMs` from now (a restart while down extends the downtime). */
  down(downMs: number): void {
    this.downUntilMs = Math.max(this.downUntilMs, this.nowMs() + downMs);
  }

  get isDown(): boolean {
    return this.nowMs() < this.downUntilMs;
  }

  reachable(nodeId: string): boolean {
    return !this.cutNodes.has(nodeId) && !this.isDown;
  }
}

/** A counted fault armed on a node's next calls: `left` of them are still to be spoiled. */
export interface CountedFault {
  nodeId: string;
  left: number;
}

/** Counted faults still armed, oldest first. */
export class CountedFaults<TFault extends CountedFault = CountedFault> {
  private readonly armed: TFault[] = [];

  arm(fault: TFault): { disarm(): void } {
    this.armed.push(fault);
    return {
      disarm: () => {
        const at = this.armed.indexOf(fault);
        if (at >= 0) this.armed.splice(at, 1);
      },
    };
  }

  /** Spends one call of the oldest armed fault that `matches`; true if there was one. */
  take(matches: (fault: TFault) => boolean): boolean {
    const fault = this.armed.find(matches);
    if (fault === undefined) return false;
    if (--fault.left <= 0) this.armed.splice(this.armed.indexOf(fault), 1);
    return true;
  }
}

/**
 * The caller hears back (`settle`), as the reply arrives at its node. For a call that changed
 * something (`gap` names the boundary and the call), a fault aimed at that gap strikes first: the
 * change took effect, and its caller has not heard yet. A paused caller hears back when it resumes
 * (the event is the node's, so it is held); a dead one never does.
 */
export function hearBack(
  world: World,
  node: SimNode<unknown>,
  gap: { boundary: Boundary; what: string } | null,
  label: string,
  settle: () => void,
): void {
  const fate = gap === null ? "goOn" : node.passBoundary(gap.boundary, gap.what);
  if (fate === "goOn") settle();
  else if (fate === "paused") world.scheduler.after(0, node.id, label, settle);
}
