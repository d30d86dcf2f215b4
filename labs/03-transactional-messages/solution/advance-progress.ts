/**
 * L3.D, the scan position: moved up to the first half this scan left pending, never past it, so
 * that a half not yet due (or offline, or failing) is read again by the next scan. Progress
 * counters only go up: a counter set lower could come back higher after a restart.
 */
import type { ServiceContext } from "#labs/03-transactional-messages/provided.ts";
import { SCAN_POSITION } from "./check-with.ts";

export function advanceProgress(service: ServiceContext, firstPending: number, _end: number): void {
  const { progress } = service.broker;
  if (firstPending > progress.get(SCAN_POSITION)) progress.set(SCAN_POSITION, firstPending);
}
