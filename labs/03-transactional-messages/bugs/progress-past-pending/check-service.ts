/**
 * Bug zoo, lab 03: THE SCAN POSITION MOVES PAST A PENDING HALF.
 *
 * The reference check service with one part replaced: where the next scan starts. "Like any
 * consumer, I commit my position after processing a batch: everything I read in this scan is
 * handled." A half not yet due when the scan passed it is never read again: nobody ever asks about
 * it, and if its producer crashed after its local commit, its message is never delivered.
 */
import type { CheckReport, ServiceContext } from "#labs/03-transactional-messages/provided.ts";
import { ageOf } from "../../solution/age-of.ts";
import { checkOnceWith, SCAN_POSITION } from "../../solution/check-with.ts";
import { dueForCheck } from "../../solution/due-for-check.ts";
import { setAside } from "../../solution/set-aside.ts";
import { spendCheck } from "../../solution/spend-check.ts";

function advanceProgress(service: ServiceContext, _firstPending: number, end: number): void {
  // The bug: the position moves to the end of what was read, pending halves or not.
  service.broker.progress.set(SCAN_POSITION, end);
}

const checkWith = checkOnceWith({ ageOf, dueForCheck, spendCheck, setAside, advanceProgress });

export function checkOnce(service: ServiceContext): Promise<CheckReport> {
  return checkWith(service);
}
