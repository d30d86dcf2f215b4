/**
 * L3.A Half messages: stored durably where no consumer reads them, made visible only by a commit.
 *
 * RocketMQ's producer sends a transaction's message first as a "half" (TRAN_MSG): the broker
 * stores it, durably, under the system topic RMQ_SYS_TRANS_HALF_TOPIC, which no consumer group
 * subscribes to, and remembers where it really belongs. Only when the transaction commits does the
 * broker write the real message to its topic, where consumers see it; a rollback writes nothing
 * there. Either way an op record in RMQ_SYS_TRANS_OP_HALF_TOPIC marks the half as done, so that
 * nobody asks about it again.
 *
 * Two files: half-codec.ts says what each message looks like (pure), half-io.ts appends and reads
 * them, awaiting every append (the store resolves once the message is durable).
 */
export { commitHalf, readHalf, rollbackHalf, storeHalf } from "./half-io.ts";
