/**
 * L4.F Consume-transform-produce, Kafka's way: the reference. Read transformer-with.ts (the loop)
 * first, then transformer-steps.ts (the three choices that make it exactly-once).
 */
import type { TransformerContext } from "#labs/04-idempotent-consumption/provided.ts";
import { KIP_447_STEPS } from "./transformer-steps.ts";
import { transformerWith } from "./transformer-with.ts";

const run = transformerWith(KIP_447_STEPS);

export function runTransformer(ctx: TransformerContext): Promise<void> {
  return run(ctx);
}
