/**
 * Lab 03, L3.D: the check service. This is your file.
 *
 * RocketMQ's TransactionalMessageServiceImpl.check and AbstractTransactionalMessageCheckListener,
 * with three of its known defects fixed: the age of a half comes from the broker's clock (RocketMQ
 * uses the producer's born timestamp, apache/rocketmq#9640), a check is spent only when a producer
 * is there to ask (RocketMQ counts it first, then finds no channel), and a half's immunity does
 * not spend checks (#8311, #615).
 */
import { NotImplemented } from "#lab";
import type { CheckReport, ServiceContext } from "#labs/03-transactional-messages/provided.ts";

/**
 * One scan of the half queue. The provided wiring calls it every TIMING.checkIntervalMs of the
 * broker's clock, never two at once.
 *
 * Contract, for each half from the scan position kept in `broker.progress` on:
 * - Resolved (`resolutions` knows it): never checked again.
 * - Not yet due: younger than max(TIMING.transactionTimeoutMs, its checkImmunityMs), measured on
 *   the broker's clock from `storedAtMs` (never from `bornAtMs`: producers' clocks are not the
 *   broker's). Not checked, and no check is spent.
 * - Due, and no producer of its group is live (`liveProducers` is empty): skipped, no check
 *   spent, reported in `skippedOffline`.
 * - Due, with a live producer, and checked fewer than TIMING.checkMax times: one check is spent
 *   and `checkTransaction` is sent to one live producer of its group (`checkTimes` = the count
 *   including this one). The count survives a broker restart, up to the last
 *   TIMING.progressPersistMs.
 * - Due, live producer, already checked TIMING.checkMax times: set aside. Appended to
 *   SET_ASIDE_TOPIC with its transaction id, HALF_OFFSET and a REASON ("no answer after 15
 *   checks"), recorded "setAside" in `resolutions`, reported in `setAside`, and never delivered,
 *   whatever end request arrives later.
 * - The scan position moves past a half only once that half is resolved, so that no unresolved
 *   half is ever skipped for good; an error while handling one half neither stops the scan of the
 *   others nor loses the position (RocketMQ #9500).
 * - Returns the scan's CheckReport.
 */
export async function checkOnce(service: ServiceContext): Promise<CheckReport> {
  // YOUR CODE HERE (L3.D)
  void service;
  throw new NotImplemented("L3.D");
}
