/**
 * L3.F, the coordinator's part: when the scan for timed-out transactions runs. Kafka's coordinator
 * schedules `abortTimedOutTransactions` at a fixed rate (TransactionCoordinator.startup, every
 * `transaction.abort.timed.out.transaction.cleanup.interval.ms`, 10 s by default).
 *
 * Every TIMING.kafkaAbortScanMs for as long as the coordinator lives, not once: a producer can die
 * inside a transaction at any moment, and nobody but this scan will ever end what it left open. A
 * scan still running when the next is due is not doubled: the next one waits for the tick after.
 */
import { type KafkaSide, TIMING } from "#labs/03-transactional-messages/provided.ts";

export function scheduleTimeoutScan(kafka: KafkaSide, scan: () => Promise<void>): void {
  let scanning = false;
  kafka.env.clock.setInterval(TIMING.kafkaAbortScanMs, () => {
    if (scanning) return;
    scanning = true;
    scan()
      .catch((error: unknown) => kafka.env.log.warn(`timeout scan failed: ${String(error)}`))
      .finally(() => {
        scanning = false;
      });
  });
}
