/**
 * The real environment: the same `Env` lab code gets in simulation, over the real machine.
 * Real time, crypto randomness, node:fs under a data directory, and an in-process network. The
 * benchmarks run lab code here, so that their figures are about real disks and real CPUs.
 */
import { getRandomValues, randomUUID } from "node:crypto";
import pino, { type Logger } from "pino";
import type { Clock, Env, Rng, Timer } from "../env.ts";
import { RealDisk } from "./disk.ts";
import { RealNetwork } from "./net.ts";

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  setTimer(ms, fn): Timer {
    const handle = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  },
  setInterval(ms, fn): Timer {
    const handle = setInterval(fn, Math.max(1, ms));
    return { cancel: () => clearInterval(handle) };
  },
};

export const realRng: Rng = {
  float: () => getRandomValues(new Uint32Array(1))[0]! / 0x1_0000_0000,
  int(maxExclusive) {
    return Math.floor(this.float() * maxExclusive);
  },
  chance(p) {
    return this.float() < p;
  },
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("rng.pick needs a non-empty list");
    return items[this.int(items.length)] as T;
  },
  bytes: (count) => getRandomValues(new Uint8Array(count)),
  uuid: () => randomUUID(),
};

export interface RealEnvOptions {
  nodeId: string;
  /** The node's data directory (must exist). */
  dataDir: string;
  /** Nodes that talk to each other share one network. */
  network?: RealNetwork;
  logger?: Logger;
}

export interface RealEnv extends Env {
  readonly disk: RealDisk;
  /** Closes the disk's file handles and leaves the network. */
  close(): Promise<void>;
}

export function createRealEnv(options: RealEnvOptions): RealEnv {
  const network = options.network ?? new RealNetwork();
  const disk = new RealDisk(options.dataDir);
  const logger = options.logger ?? pino({ level: "silent" });
  return {
    nodeId: options.nodeId,
    incarnation: 1,
    clock: realClock,
    rng: realRng,
    disk,
    net: network.join(options.nodeId),
    log: logger.child({ node: options.nodeId }),
    async close() {
      network.leave(options.nodeId);
      await disk.close();
    },
  };
}
