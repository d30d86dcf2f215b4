/**
 * Bug zoo, lab 02: A STORE ERROR TAKEN AS A FINAL ANSWER.
 *
 * The reference producer, except for what it does with the broker's `error` reply. A timeout is
 * retried, as it should be: its outcome is unknown. But `error` looks like a definite answer ("the
 * broker refused this message"), so the send rejects with it and the caller is told. The broker
 * answers `error` when its disk failed the append (an fsync error, a full disk): nothing was
 * appended, the failure is transient, and the next attempt usually lands. Rejecting breaks the
 * contract (a send completes while its process lives), and the caller who retries with a fresh
 * `send` gets a new sequence number, behind messages of the key sent since: out of order.
 *
 * What they do instead: Kafka's producer retries every error it classes as retriable, among them
 * KafkaStorageException and NOT_ENOUGH_REPLICAS (clients/.../producer/internals/Sender.java,
 * `canRetry`); RocketMQ's DefaultMQProducerImpl.sendDefaultImpl retries a send on another attempt
 * after a broker error (`retryTimesWhenSendFailed`) for SYSTEM_ERROR and SYSTEM_BUSY.
 */
import type { Env } from "#lab";
import type { OrderedProducer, ProducerOptions, Sent } from "#labs/02-ordered-messages/provided.ts";
import { openProducerWith, producerParts } from "../../solution/producer-with.ts";
import { type NumberedMessage, type ProducerLink, sendOnce, storedAt } from "../../solution/queue-stream.ts";
import { RETRY_BACKOFF_MS } from "../../solution/retry.ts";

async function deliver(link: ProducerLink, message: NumberedMessage): Promise<Sent> {
  for (;;) {
    const reply = await sendOnce(link, message);
    // The bug: the broker's store error is passed to the caller instead of being retried.
    if (reply?.kind === "error") throw new Error(`the broker could not store ${message.body}: ${reply.message}`);
    const stored = storedAt(message.queueId, reply);
    if (stored !== null) return stored;
    await link.env.clock.sleep(RETRY_BACKOFF_MS);
  }
}

export function openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer> {
  return openProducerWith({ ...producerParts, deliver }, env, options);
}
