/**
 * Lab 02, L2.F, in the `timed-commits` alternative: the `windowed` alternative's window scheduler,
 * re-exported rather than copied. This alternative varies the consumer side (consumer.ts,
 * queue-worker.ts); see ../windowed/key-parallel.ts for how it differs from the reference.
 */
export { runKeyParallelQueue } from "../windowed/key-parallel.ts";
