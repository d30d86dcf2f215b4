/**
 * The pricing service of part L4.D (docs/design/lab-04.md, section 1): the slow remote step a
 * handler calls before the database work, the work a Redis lease is there to keep to one consumer
 * at a time. A call takes 10 to 30 ms on the caller's clock (a paused caller's call lasts its
 * pause too) and is logged with the business key it was for, so that the window checker can tell
 * when two consumers did one key's work at once, and print how many calls each operation cost.
 *
 * The service stands in for a remote node without being one: its latency is the whole of what the
 * lesson needs, and a call's start and end are read at the caller, where the work happens.
 */
import type { Env } from "#harness/env.ts";
import type { SimRng } from "#harness/sim/rng.ts";
import type { World } from "#harness/sim/world.ts";
import type { Delivery } from "../provided.ts";
import { standInKey } from "./stand-ins.ts";

/** How long one quote takes, in ms (the design's 10 to 30). */
export const QUOTE_MS = { min: 10, max: 30 } as const;

/** One call to the pricing service. */
export interface QuoteCall {
  nodeId: string;
  /** The delivery's business key (the grader's: `orderId/step`). */
  key: string;
  messageId: string;
  startMs: number;
  /** When the caller heard back; null if it never did (it died, or the run ended first). */
  endMs: number | null;
  /** When it would have ended, had its caller lived: its end, for a call that never heard back. */
  plannedEndMs: number;
  /** Redis's clock at the start and at the (planned) end: what leases are measured on. */
  startServerMs: number;
  endServerMs: number;
}

export interface Pricing {
  readonly calls: readonly QuoteCall[];
  /** The `quote` function for one consumer process. */
  quoteFor(env: Env): (delivery: Delivery) => Promise<number>;
}

/** `serverNowMs`: Redis's clock (the world's time plus its skew). */
export function openPricing(world: World, rng: SimRng, serverNowMs: () => number): Pricing {
  const calls: QuoteCall[] = [];
  return {
    calls,
    quoteFor(env) {
      return async (delivery) => {
        const ms = rng.between(QUOTE_MS.min, QUOTE_MS.max);
        const startServerMs = serverNowMs();
        const call: QuoteCall = {
          nodeId: env.nodeId,
          key: standInKey(delivery),
          messageId: delivery.messageId,
          startMs: world.nowMs,
          endMs: null,
          plannedEndMs: world.nowMs + ms,
          startServerMs,
          endServerMs: startServerMs + ms,
        };
        calls.push(call);
        await env.clock.sleep(ms);
        call.endMs = world.nowMs;
        call.endServerMs = serverNowMs();
        // A price in cents; the effect does not use it (the lesson is the cost, not the value).
        return delivery.event.amountCents;
      };
    },
  };
}
