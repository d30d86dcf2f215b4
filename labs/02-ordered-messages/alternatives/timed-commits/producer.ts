/**
 * Lab 02, L2.B, in the `timed-commits` alternative: the `windowed` alternative's pipelined producer,
 * re-exported rather than copied. This alternative varies the consumer side (consumer.ts,
 * queue-worker.ts); see ../windowed/producer.ts for how the producer differs from the reference.
 */
export { openProducer } from "../windowed/producer.ts";
