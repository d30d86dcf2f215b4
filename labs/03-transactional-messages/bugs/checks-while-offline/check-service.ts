/**
 * Bug zoo, lab 03: A CHECK IS COUNTED BEFORE ANYONE IS THERE TO ASK.
 *
 * The reference check service with one part replaced: spending a check. "Each scan, for each due
 * half: count one more check, and if the budget is spent, set the half aside; otherwise ask a
 * producer, if there is one." That is RocketMQ's order (needDiscard increments
 * TRANSACTION_CHECK_TIMES, then sendCheckMessage finds no channel and logs "channel is null"). A
 * producer down for longer than the whole budget (15 x 50 ms) loses its committed transaction.
 */
import { type HalfMessage, type ServiceContext, TIMING } from "#labs/03-transactional-messages/provided.ts";
import { checkOnceWith, type Spent } from "../../solution/check-with.ts";
import { checkParts } from "../../solution/parts.ts";
import { checkRequest, checksOf } from "../../solution/spend-check.ts";

function spendCheck(service: ServiceContext, half: HalfMessage): Spent {
  const { broker } = service;
  const count = broker.progress.get(checksOf(half.halfOffset));
  if (count >= TIMING.checkMax) return "exhausted";
  // The bug: the check is counted first, whether or not a producer is there to receive it.
  broker.progress.set(checksOf(half.halfOffset), count + 1);
  const live = broker.liveProducers(half.group);
  if (live.length === 0) return "offline";
  broker.sendCheck(broker.env.rng.pick(live), checkRequest(half, count + 1));
  return "sent";
}

export const checkOnce = checkOnceWith({ ...checkParts, spendCheck });
