/**
 * Bug zoo, lab 03: A TIMEOUT SCAN THAT RUNS ONCE.
 *
 * The reference coordinator with one part replaced: the scan for timed-out transactions is
 * scheduled with `setTimer`, which fires once, where `setInterval` was meant (JavaScript's
 * setTimeout-for-setInterval slip). The scan itself is the reference's: it aborts with a bumped
 * epoch whatever it finds.
 *
 * Why it is tempting: the first tests pass. A scan runs, the paused zombie of a short test is
 * fenced when its pause happens to straddle that one scan, and every producer that stays alive ends
 * its own transactions, so nothing seems to depend on the scan running again.
 *
 * What goes wrong: the one scan runs 50 ms after the coordinator opened, before any transaction
 * is old enough. A producer that dies inside a transaction later leaves it Ongoing forever: its
 * records stay open in their partitions, the last stable offset can never pass them, and every
 * committed record behind them is stuck (a hanging transaction).
 *
 * What Kafka does: TransactionCoordinator.startup schedules abortTimedOutTransactions at a fixed
 * rate for as long as the coordinator lives.
 */
import { type Coordinator, type KafkaSide, TIMING } from "#labs/03-transactional-messages/provided.ts";
import { openCoordinatorWith } from "../../solution/coordinator-with.ts";
import { coordinatorParts } from "../../solution/parts.ts";

export function openCoordinator(kafka: KafkaSide): Promise<Coordinator> {
  return openCoordinatorWith(kafka, {
    ...coordinatorParts,
    scheduleTimeoutScan: (side, scan) => {
      side.env.clock.setTimer(TIMING.kafkaAbortScanMs, () => {
        void scan();
      });
    },
  });
}
