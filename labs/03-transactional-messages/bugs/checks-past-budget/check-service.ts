/**
 * Bug zoo, lab 03: ONE CHECK PAST THE BUDGET.
 *
 * The reference check service with one part replaced: the count that sets a half aside. It sets a
 * half aside once its count is *above* TIMING.checkMax (`count > checkMax`) instead of once it has
 * reached it, so every half that never answers gets a sixteenth check. "Checked fewer than 15
 * times: check it again" read as "not yet more than 15".
 *
 * The promise is a budget of 15 checks per half, after which the half waits for an operator: a
 * producer group is asked about one transaction at most 15 times. One more is harmless to this
 * lab's producers, but the budget is what operators and producers size their alerts and their
 * answer paths by, and an off-by-one in a count is an off-by-one wherever the count is used.
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
  const live = broker.liveProducers(half.group);
  if (live.length === 0) return "offline";
  const count = broker.progress.get(checksOf(half.halfOffset));
  // The bug: `>` where the budget needs `>=`.
  if (count > TIMING.checkMax) return "exhausted";
  broker.progress.set(checksOf(half.halfOffset), count + 1);
  const target = live.includes(half.producerId) ? half.producerId : broker.env.rng.pick(live);
  broker.sendCheck(target, {
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
