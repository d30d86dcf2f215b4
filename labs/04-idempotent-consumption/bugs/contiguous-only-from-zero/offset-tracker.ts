/**
 * Bug zoo, lab 04: ADVANCE ONLY WHILE THE NEXT ONE IS DONE, FROM ZERO.
 *
 * "Keep the next offset to commit; when that message finishes, move on by one." Two mistakes in
 * one: it starts at 0 rather than where the queue was taken, and a message that finishes out of
 * order (above a gap) is forgotten, so once the gap closes the offset stops at the forgotten one
 * for good. The group's offset stays behind: every crash or rebalance redelivers finished work.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  let next = 0;
  return {
    received() {},
    finished(offset) {
      if (offset === next) next = offset + 1;
    },
    committable() {
      return next;
    },
  };
}
