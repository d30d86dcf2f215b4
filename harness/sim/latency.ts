/**
 * Latencies, shared by the simulated disk and network: a fixed number of milliseconds, or a range
 * drawn uniformly per operation from the component's own random stream.
 */
import type { SimRng } from "./rng.ts";

/** A latency: a fixed number of milliseconds, or a range drawn uniformly per operation. */
export type LatencyMs = number | readonly [minMs: number, maxMs: number];

export function drawLatency(latency: LatencyMs, rng: SimRng): number {
  return typeof latency === "number" ? latency : rng.between(latency[0], latency[1]);
}
