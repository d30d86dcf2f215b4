/**
 * The simulated network: datagrams between nodes, and request/response built on them.
 *
 * Each message is copied (structured clone) when sent, so nodes never share objects. On its way it
 * is delayed (a draw from the latency range); a link keeps its messages in order, as a TCP
 * connection does, unless the fault plan turns on reordering. It may also be held back further
 * (reordering), dropped, or
 * duplicated, at rates the fault plan sets; a partition drops everything on a directed link, both
 * when the message is sent and when it would arrive. Requests carry an id; the reply travels back
 * through the same faults. A request whose reply does not come in time resolves as `maybe`.
 *
 * Messages are delivered to the destination's *current* incarnation (like UDP to a host that
 * rebooted); replies only to the incarnation that asked (its successor never asked anything).
 */
import { approxBytes, type NetCostModel } from "./cost-model.ts";
import { drawLatency, type LatencyMs } from "./latency.ts";
import type { SimRng } from "./rng.ts";
import type { MessageLink } from "./trace.ts";

export interface NetProfile {
  latencyMs: LatencyMs;
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice. */
  duplicateRate: number;
  /** Probability that a message is held back by up to `reorderDelayMs` more, letting later ones pass. */
  reorderRate: number;
  reorderDelayMs: number;
  /**
   * When set, a message takes the model's fixed latency plus its size over the link's bandwidth,
   * and its bytes occupy the link (later messages on it wait); `latencyMs` is not used. Unset by
   * default: today's labs run without it.
   */
  cost?: NetCostModel;
}

export const defaultNetProfile: NetProfile = {
  latencyMs: [0.2, 2],
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderDelayMs: 20,
};

export type Packet =
  | { kind: "oneway"; body: unknown }
  | { kind: "request"; rpcId: number; fromIncarnation: number; body: unknown }
  | { kind: "reply"; rpcId: number; toIncarnation: number; body: unknown };

/** What the network needs from the world. */
export interface NetHost {
  nowMs(): number;
  /** Schedules a delivery to node `to` (held while it is paused). */
  scheduleDelivery(delayMs: number, to: string, fn: () => void): void;
  /** Hands a packet to the node's live incarnation; false if it is down or unknown. */
  deliver(from: string, to: string, packet: Packet, sentAtMs: number): boolean;
  trace(node: string, kind: string, detail: string, link?: MessageLink): void;
}

export class SimNetwork {
  profile: NetProfile;
  private readonly blocked = new Set<string>();
  /** When the last in-order message on each link arrives, so the next one cannot overtake it. */
  private readonly linkArrivalMs = new Map<string, number>();
  /** With a cost model: when each link has finished sending the bytes already given to it. */
  private readonly linkFreeAtMs = new Map<string, number>();
  /** Counts, for tests and the bench. */
  readonly stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(
    profile: NetProfile,
    private readonly rng: SimRng,
    private readonly host: NetHost,
  ) {
    this.profile = { ...profile };
  }

  /** Blocks the link from `from` to `to` (one way). */
  block(from: string, to: string): void {
    this.blocked.add(`${from}->${to}`);
  }

  /** Cuts both directions between every node of `sideA` and every node of `sideB`. */
  partition(sideA: readonly string[], sideB: readonly string[]): void {
    for (const a of sideA) {
      for (const b of sideB) {
        this.block(a, b);
        this.block(b, a);
      }
    }
  }

  /** Restores every link. */
  heal(): void {
    this.blocked.clear();
  }

  isBlocked(from: string, to: string): boolean {
    return this.blocked.has(`${from}->${to}`);
  }

  /**
   * How long a message takes before any fault: a draw from the profile's latency (exactly as
   * before the cost model existed), or, with a cost model, its fixed latency after the link has
   * carried this message's bytes behind those already on it.
   */
  private baseDelayMs(link: string, bytes: number): number {
    const cost = this.profile.cost;
    if (cost === undefined) return drawLatency(this.profile.latencyMs, this.rng);
    const nowMs = this.host.nowMs();
    const sentMs = Math.max(nowMs, this.linkFreeAtMs.get(link) ?? 0) + cost.transferMs(bytes);
    this.linkFreeAtMs.set(link, sentMs);
    return sentMs + cost.parameters.messageMs - nowMs;
  }

  /** Sends a packet with all the faults the profile allows. */
  transmit(from: string, to: string, packet: Packet): void {
    this.stats.sent++;
    const label = describe(packet);
    const sentAtMs = this.host.nowMs();
    if (this.isBlocked(from, to)) {
      this.stats.dropped++;
      this.host.trace(from, "net", `${label} to ${to} dropped: partitioned`, {
        from,
        to,
        sentAtMs,
        fate: "partitioned",
      });
      return;
    }
    if (this.rng.chance(this.profile.dropRate)) {
      this.stats.dropped++;
      this.host.trace(from, "net", `${label} to ${to} dropped: lost`, { from, to, sentAtMs, fate: "lost" });
      return;
    }
    const copies = this.rng.chance(this.profile.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    const link = `${from}->${to}`;
    const bytes = this.profile.cost === undefined ? 0 : approxBytes(packet.body);
    for (let i = 0; i < copies; i++) {
      let delayMs = this.baseDelayMs(link, bytes);
      if (this.rng.chance(this.profile.reorderRate)) delayMs += this.rng.between(0, this.profile.reorderDelayMs);
      else {
        const nowMs = this.host.nowMs();
        const arrivalMs = Math.max(nowMs + delayMs, this.linkArrivalMs.get(link) ?? 0);
        this.linkArrivalMs.set(link, arrivalMs);
        delayMs = arrivalMs - nowMs;
      }
      const copy: Packet = { ...packet, body: structuredClone(packet.body) };
      this.host.scheduleDelivery(delayMs, to, () => {
        if (this.isBlocked(from, to)) {
          this.stats.dropped++;
          this.host.trace(to, "net", `${label} from ${from} dropped on arrival: partitioned`, {
            from,
            to,
            sentAtMs,
            fate: "partitioned",
          });
          return;
        }
        if (this.host.deliver(from, to, copy, sentAtMs)) this.stats.delivered++;
        else {
          this.stats.dropped++;
          this.host.trace(to, "net", `${label} from ${from} dropped: ${to} is down`, {
            from,
            to,
            sentAtMs,
            fate: "down",
          });
        }
      });
    }
  }
}

function describe(packet: Packet): string {
  if (packet.kind === "oneway") return "message";
  return packet.kind === "request" ? `request #${packet.rpcId}` : `reply #${packet.rpcId}`;
}
