/**
 * L4.F: the reference's three choices that make the loop of transformer-with.ts exactly-once:
 *
 * - the offsets are committed INSIDE the transaction that wrote their outputs (addOffsetsToTxn,
 *   txnOffsetCommit), so the COMMIT marker makes both visible at once and an ABORT drops both
 *   [KafkaProducer.sendOffsetsToTransaction];
 * - they carry the consumer's full group metadata, member id and generation
 *   [sendOffsetsToTransaction(offsets, consumer.groupMetadata()), KIP-447]: a member that was
 *   paused past its session, and whose partitions the group has since given to another, is
 *   refused (illegalGeneration) instead of committing work the new owner is redoing;
 * - one producer per process, `ctx.transactionalId`: since KIP-447 fencing is the group's job,
 *   not the transactional id's, so the id need not follow the partitions.
 */
import { offsetsInTransaction, type TransformerSteps } from "./transformer-with.ts";

export const KIP_447_STEPS: TransformerSteps = {
  metadata: (member) => ({ generation: member.generation, memberId: member.memberId }),
  producerKey: (ctx) => ctx.transactionalId,
  commitOffsets: offsetsInTransaction,
};
