/**
 * L3.D, spending a check: only when a producer of the half's group is live, and only then counted.
 * RocketMQ counts first and looks for a channel second ("channel is null"), so a producer down for
 * longer than the whole budget has its committed transaction set aside. The count lives in a
 * progress counter, so that it survives a restart (up to the last persist).
 *
 * The half's own sender is asked if it is live; otherwise any live producer of the group, which
 * reads the same database. Nothing is awaited between reading who is live and sending.
 */
import {
  type CheckTransaction,
  type HalfMessage,
  type ServiceContext,
  TIMING,
} from "#labs/03-transactional-messages/provided.ts";
import type { Spent } from "./check-with.ts";

export function checksOf(halfOffset: number): string {
  return `checks:${halfOffset}`;
}

export function spendCheck(service: ServiceContext, half: HalfMessage): Spent {
  const { broker } = service;
  const live = broker.liveProducers(half.group);
  if (live.length === 0) return "offline";
  const count = broker.progress.get(checksOf(half.halfOffset));
  if (count >= TIMING.checkMax) return "exhausted";
  broker.progress.set(checksOf(half.halfOffset), count + 1);
  const target = live.includes(half.producerId) ? half.producerId : broker.env.rng.pick(live);
  broker.sendCheck(target, checkRequest(half, count + 1));
  return "sent";
}

/** The check sent about `half`, its `checkTimes`-th. */
export function checkRequest(half: HalfMessage, checkTimes: number): CheckTransaction {
  return {
    type: "checkTransaction",
    group: half.group,
    transactionId: half.transactionId,
    halfOffset: half.halfOffset,
    checkTimes,
  };
}
