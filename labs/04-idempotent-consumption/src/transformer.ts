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
 * Runs one transformer process until its env dies: reads `orders-in` (INPUT_TOPIC) read_committed,
 * writes one `payments` record per input record (`paymentFor(input)`, to the `payments` partition
 * of the same number), and commits the input offsets in the same transaction.
 *
 * Contract:
 * - one producer for the process, `ctx.transactionalId` (KIP-447's one producer per instance):
 *   `initProducerId` at start (again while it answers `concurrentTransactions`);
 * - join the group `ctx.group` for INPUT_TOPIC (`joinGroup`, memberId "" the first time), then read
 *   the group's committed offsets of your partitions (`offsetFetch`; ask again while `unstable`:
 *   another member's transaction still holds offsets there). No offset yet: start at 0;
 * - then loop: `groupHeartbeat` every `TIMING.kafkaHeartbeatMs` (rejoin on anything but "ok");
 *   fetch your partitions read_committed; for records, one transaction: `addPartitionsToTxn`
 *   (topic OUTPUT_TOPIC), `produceTxn` the outputs (sequences from 0 under each epoch),
 *   `addOffsetsToTxn`, `txnOffsetCommit` with your FULL group metadata (the generation and member
 *   id your last joinGroup gave you) and the next offset to read, then `endTxn` with commit. Its
 *   reply's epoch is the next transaction's;
 * - on `illegalGeneration`: abort, rejoin, read the committed offsets again. On `fenced`, or an
 *   end you never heard back about: a new `initProducerId`, then the same. Any other failure:
 *   abort, and start again from the committed offsets;
 * - never commit input offsets outside the transaction that wrote their outputs.
 *
 * Every request can time out (`TIMING.requestTimeoutMs`): send it again (a produce with the same
 * sequence is answered `duplicate` if it had arrived).
 */
export async function runTransformer(ctx: TransformerContext): Promise<void> {
  // YOUR CODE HERE (L4.F)
  void ctx;
  throw new NotImplemented("L4.F");
}
