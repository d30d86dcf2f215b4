/**
 * Bug zoo, lab 04: A PRODUCER PER PARTITION THAT FENCES NOTHING.
 *
 * Before KIP-447, exactly-once applications ran one transactional producer per input partition,
 * with a transactional id that followed the partition from instance to instance
 * (`<app>-<topic>-<partition>`): whichever instance took a partition over called initProducerId
 * with that id and so fenced the previous owner, and the offsets could go with the group id
 * alone. This one keeps the producer per partition and the group-id-only offsets, but names the
 * producer after its own instance as well (`tx-t1-p0`): a new owner's initProducerId uses a
 * different id and fences nobody, so the old owner, back from a pause, commits as if it still
 * owned the partition.
 */
import type { TransformerContext } from "#labs/04-idempotent-consumption/provided.ts";
import { KIP_447_STEPS } from "../../solution/transformer-steps.ts";
import { transformerWith } from "../../solution/transformer-with.ts";

const run = transformerWith({
  ...KIP_447_STEPS,
  producerKey: (ctx, partition) => `${ctx.transactionalId}-p${partition}`,
  metadata: () => ({ generation: -1, memberId: "" }),
});

export function runTransformer(ctx: TransformerContext): Promise<void> {
  return run(ctx);
}
