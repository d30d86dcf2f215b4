/**
 * Bug zoo, lab 03: A HALF'S IMMUNITY SPENDS ITS CHECKS.
 *
 * The reference check service with one part replaced: whether a half is due. "For a half still in
 * its immunity window I put it back and count the visit, so that the count says how often I looked
 * at it." With a 600 ms immunity and a 750 ms budget, the half is set aside after a few real
 * checks. RocketMQ's check counts a half's visits while it waits out its immunity (#8311, #615).
 */
import { type HalfMessage, type ServiceContext, TIMING } from "#labs/03-transactional-messages/provided.ts";
import { checkOnceWith } from "../../solution/check-with.ts";
import { checkParts } from "../../solution/parts.ts";
import { checksOf } from "../../solution/spend-check.ts";

function dueForCheck(service: ServiceContext, half: HalfMessage, ageMs: number): boolean {
  if (ageMs < TIMING.transactionTimeoutMs) return false;
  if (ageMs < half.checkImmunityMs) {
    // The bug: a visit during the immunity is counted as a check.
    const { progress } = service.broker;
    progress.set(checksOf(half.halfOffset), progress.get(checksOf(half.halfOffset)) + 1);
    return false;
  }
  return true;
}

export const checkOnce = checkOnceWith({ ...checkParts, dueForCheck });
