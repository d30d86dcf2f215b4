/**
 * Bug zoo, lab 03: THE SCAN POSITION MOVES PAST A PENDING HALF.
 *
 * The reference check service with one part replaced: where the next scan starts. "Like any
 * consumer, I commit my position after processing a batch: everything I read in this scan is
 * handled." A half not yet due when the scan passed it is never read again: nobody ever asks about
 * it, and if its producer crashed after its local commit, its message is never delivered.
 */
import type { ServiceContext } from "#labs/03-transactional-messages/provided.ts";
import { checkOnceWith, SCAN_POSITION } from "../../solution/check-with.ts";
import { checkParts } from "../../solution/parts.ts";

function advanceProgress(service: ServiceContext, _firstPending: number, end: number): void {
  // The bug: the position moves to the end of what was read, pending halves or not.
  service.broker.progress.set(SCAN_POSITION, end);
}

export const checkOnce = checkOnceWith({ ...checkParts, advanceProgress });
