/**
 * Bug zoo, lab 03: THE GUARD WITHOUT A LOCK.
 *
 * The reference end handler with one part replaced: the per-half lock is gone. "I check
 * `resolutions` before committing, so a duplicate is refused." But the check and the commit are
 * separate steps with a durable append (an fsync, milliseconds) in between: two requests for one
 * half that arrive together both find it open, and both commit. A check-then-act is safe only if
 * nothing for the same half can run between the check and the act: take the half's lock around
 * both, as the reference does (RocketMQ's broker has no such lock either, and no check at all).
 */
import type { ServiceContext } from "#labs/03-transactional-messages/provided.ts";
import { endTransactionWith } from "../../solution/end-with.ts";
import { endParts } from "../../solution/parts.ts";

function lockHalf<T>(_service: ServiceContext, _halfOffset: number, work: () => Promise<T>): Promise<T> {
  // The bug: no lock; concurrent requests for one half interleave between the guard and the act.
  return work();
}

export const endTransaction = endTransactionWith({ ...endParts, lockHalf });
