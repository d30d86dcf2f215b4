/**
 * Bug zoo, lab 04: OFFSETS SENT WITH THE GROUP ID ONLY.
 *
 * The pre-KIP-447 overload, `sendOffsetsToTransaction(offsets, groupId)`: the offsets go into the
 * transaction, but without the consumer's generation or member id, so the broker cannot tell a
 * current member from one the group dropped. A transformer paused past its session wakes up,
 * commits the offsets of partitions the group has given to another meanwhile, and its outputs
 * commit beside the new owner's outputs of the same records.
 */
import type { TransformerContext } from "#labs/04-idempotent-consumption/provided.ts";
import { KIP_447_STEPS } from "../../solution/transformer-steps.ts";
import { transformerWith } from "../../solution/transformer-with.ts";

const run = transformerWith({
  ...KIP_447_STEPS,
  metadata: () => ({ generation: -1, memberId: "" }),
});

export function runTransformer(ctx: TransformerContext): Promise<void> {
  return run(ctx);
}
