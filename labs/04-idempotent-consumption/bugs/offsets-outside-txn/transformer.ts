/**
 * Bug zoo, lab 04: THE OFFSETS COMMITTED AFTER THE TRANSACTION.
 *
 * "Commit the outputs in a transaction, then commit the consumer's offset as usual." The outputs
 * and the offsets are two commits, so there is a moment between them: a transformer that dies
 * right after its transaction committed, before its plain offset commit, leaves outputs whose
 * offsets were never moved past. Whoever reads the partition next starts from the old offset and
 * writes those outputs again.
 */
import type { TransformerContext } from "#labs/04-idempotent-consumption/provided.ts";
import { KIP_447_STEPS } from "../../solution/transformer-steps.ts";
import { plainOffsetCommit, transformerWith } from "../../solution/transformer-with.ts";

const run = transformerWith({
  ...KIP_447_STEPS,
  commitOffsets: async () => "after",
  commitAfter: plainOffsetCommit,
});

export function runTransformer(ctx: TransformerContext): Promise<void> {
  return run(ctx);
}
