/**
 * Bug zoo, lab 03: A CHECK IS COUNTED BEFORE ANYONE IS THERE TO ASK.
 *
 * The reference check service with one part replaced: spending a check. "Each scan, for each due
 * half: count one more check, and if the budget is spent, set the half aside; otherwise ask a
 * producer, if there is one." That is RocketMQ's order (needDiscard increments
 * TRANSACTION_CHECK_TIMES, then sendCheckMessage finds no channel and logs "channel is null"). A
 * producer down for longer than the whole budget (15 x 50 ms) loses its committed transaction.
 */
import {
  type CheckReport,
  type HalfMessage,
  type ServiceContext,
  TIMING,
} from "#labs/03-transactional-messages/provided.ts";
import { advanceProgress } from "../../solution/advance-progress.ts";
import { ageOf } from "../../solution/age-of.ts";
import { checkOnceWith, type Spent } from "../../solution/check-with.ts";
import { dueForCheck } from "../../solution/due-for-check.ts";
import { setAside } from "../../solution/set-aside.ts";
import { checksOf } from "../../solution/spend-check.ts";

function spendCheck(service: ServiceContext, half: HalfMessage): Spent {
  const { broker } = service;
  const count = broker.progress.get(checksOf(half.halfOffset));
  if (count >= TIMING.checkMax) return "exhausted";
  // The bug: the check is counted first, whether or not a producer is there to receive it.
  broker.progress.set(checksOf(half.halfOffset), count + 1);
  const live = broker.liveProducers(half.group);
  if (live.length === 0) return "offline";
  broker.sendCheck(broker.env.rng.pick(live), {
    type: "checkTransaction",
    group: half.group,
    transactionId: half.transactionId,
    halfOffset: half.halfOffset,
    checkTimes: count + 1,
  });
  return "sent";
}

const checkWith = checkOnceWith({ ageOf, dueForCheck, spendCheck, setAside, advanceProgress });

export function checkOnce(service: ServiceContext): Promise<CheckReport> {
  return checkWith(service);
}
