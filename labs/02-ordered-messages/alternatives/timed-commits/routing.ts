/**
 * Lab 02, L2.A, in the `timed-commits` alternative: the same routing as the `windowed` alternative
 * (Kafka's murmur2), re-exported rather than copied. This alternative varies the consumer side
 * (consumer.ts, queue-worker.ts); see ../windowed/routing.ts for why murmur2 routing is correct.
 */
export { selectQueue } from "../windowed/routing.ts";
