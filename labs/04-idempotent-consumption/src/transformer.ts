/**
 * Lab 04, L4.F: consume-transform-produce, Kafka's way. This is your file.
 *
 * Kafka makes "read an input, write its result, commit the input offset" one atomic act: the
 * offsets are committed inside the producer's transaction (`sendOffsetsToTransaction`), so they
 * become visible with the outputs or not at all. A consumer that lost its partitions in a
 * rebalance but does not know it yet (a zombie, paused past its session) must not commit: since
 * KIP-447 the broker fences it by the group's generation, which the client sends with its offsets.
 */
import { NotImplemented } from "#lab";
import type { TransformerContext } from "#labs/04-idempotent-consumption/provided.ts";

/**
 * Runs one transformer process until its env dies: reads `orders-in` (read_committed), writes one
 * `payments` record per input record, and commits the input offsets in the same transaction.
 *
 * Contract: one transactional id per process (`ctx.transactionalId`, KIP-447's one producer per
 * instance); `initProducerId` once at start; join the group and fetch its committed offsets
 * (retry while a transactional commit is pending); then loop: fetch from the assigned partitions,
 * add the output partitions to the transaction, produce the outputs, add the offsets with the
 * consumer's full group metadata (generation and member id), end the transaction with a commit.
 * On `fenced` (producer epoch or generation): rejoin, read the committed offsets again, and start
 * from them. Never commit input offsets outside the transaction that wrote their outputs.
 *
 * (Under construction: the group and offset requests are not in the shared broker yet.)
 */
export async function runTransformer(ctx: TransformerContext): Promise<void> {
  // YOUR CODE HERE (L4.F)
  void ctx;
  throw new NotImplemented("L4.F");
}
