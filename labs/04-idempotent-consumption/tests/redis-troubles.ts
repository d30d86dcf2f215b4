/**
 * Part L4.D: when Redis did not answer a consumer normally, on the world's clock. The window's
 * checks that say "a correct window would have saved this work" or "would have kept these two
 * quotes apart" (check-window.ts) hold only while Redis answered: this log tells them when it
 * did not. A `SimRedis` that notes each fault as it is injected, and changes nothing else (no
 * draw, no scheduling), so that a run is the same with it as without it.
 */
import { SimRedis } from "#harness/sim/redis.ts";

/** What may have kept a correct window from reading Redis's truth, in world time. */
export interface RedisTroubles {
  /** A node cut off or losing replies (node null: everyone, Redis down after a restart). */
  readonly spells: { node: string | null; fromMs: number; toMs: number }[];
  /** Anything that removed keys without a command: a restart, an eviction, a clock jump. */
  readonly keyLossesAtMs: number[];
  /** Clock jumps: from `atMs` on, Redis's clock is `deltaMs` further ahead of the world's. */
  readonly jumps: { atMs: number; deltaMs: number }[];
}

/** Redis's clock at world time `atMs`. */
export function serverAtMs(troubles: RedisTroubles, atMs: number): number {
  return troubles.jumps.reduce((ms, jump) => (jump.atMs <= atMs ? ms + jump.deltaMs : ms), atMs);
}

/** True if, from `fromMs` to `toMs` (world time), Redis answered `node` normally (no cut, lost reply, restart). */
export function answeredNormally(troubles: RedisTroubles, node: string, fromMs: number, toMs: number): boolean {
  return !troubles.spells.some((s) => (s.node === null || s.node === node) && s.fromMs <= toMs && s.toMs >= fromMs);
}

/** True if, from `fromMs` to `toMs` (world time), Redis lost no key but to expiry and commands (and its clock ran even). */
export function keptKeys(troubles: RedisTroubles, fromMs: number, toMs: number): boolean {
  const loss = troubles.keyLossesAtMs.some((atMs) => atMs >= fromMs && atMs <= toMs);
  const jump = troubles.jumps.some((j) => j.atMs >= fromMs && j.atMs <= toMs);
  return !loss && !jump;
}

/** Both: Redis answered `node` normally and kept its keys from `fromMs` to `toMs`. */
export function calmFor(troubles: RedisTroubles, node: string, fromMs: number, toMs: number): boolean {
  return answeredNormally(troubles, node, fromMs, toMs) && keptKeys(troubles, fromMs, toMs);
}

/** The simulated Redis, with its faults noted in `troubles` as they strike. */
export class WatchedRedis extends SimRedis {
  readonly troubles: RedisTroubles = { spells: [], keyLossesAtMs: [], jumps: [] };
  private readonly openCuts = new Map<string, { depth: number; spell: { toMs: number } }>();

  override cut(nodeId: string): void {
    const open = this.openCuts.get(nodeId);
    if (open !== undefined) open.depth += 1;
    else {
      const spell = { node: nodeId, fromMs: this.world.nowMs, toMs: Number.POSITIVE_INFINITY };
      this.troubles.spells.push(spell);
      this.openCuts.set(nodeId, { depth: 1, spell });
    }
    super.cut(nodeId);
  }

  override heal(nodeId: string): void {
    const open = this.openCuts.get(nodeId);
    if (open !== undefined) {
      open.depth -= 1;
      if (open.depth === 0) {
        // A command sent while cut fails only `brokenConnectionMs` later: its caller hears then.
        open.spell.toMs = this.world.nowMs + this.profile.brokenConnectionMs;
        this.openCuts.delete(nodeId);
      }
    }
    super.heal(nodeId);
  }

  override restart(downMs: number): void {
    const toMs = this.world.nowMs + downMs + this.profile.brokenConnectionMs;
    this.troubles.spells.push({ node: null, fromMs: this.world.nowMs, toMs });
    this.troubles.keyLossesAtMs.push(this.world.nowMs);
    super.restart(downMs);
  }

  override loseReplies(nodeId: string, count: number): { disarm(): void } {
    const spell = { node: nodeId, fromMs: this.world.nowMs, toMs: Number.POSITIVE_INFINITY };
    this.troubles.spells.push(spell);
    const armed = super.loseReplies(nodeId, count);
    return {
      disarm: () => {
        // A reply lost at the last moment reaches its caller as a failure a little later.
        spell.toMs = this.world.nowMs + this.profile.brokenConnectionMs;
        armed.disarm();
      },
    };
  }

  override skew(deltaMs: number): void {
    this.troubles.jumps.push({ atMs: this.world.nowMs, deltaMs });
    this.troubles.keyLossesAtMs.push(this.world.nowMs);
    super.skew(deltaMs);
  }

  override evict(count: number): string[] {
    this.troubles.keyLossesAtMs.push(this.world.nowMs);
    return super.evict(count);
  }
}
