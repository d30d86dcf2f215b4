/**
 * Bug zoo, lab 04: COMMIT ONE PAST THE NEWEST FINISHED OFFSET.
 *
 * "Commit the newest offset that is done, plus one." With one handler at a time that is right. With
 * six at once, offset 12 finishes while a slow offset 10 still runs; committing 13 tells the broker
 * that 10 is done too, and a crash before it finishes loses it.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  let highestFinished: number | null = null;
  return {
    received() {},
    finished(offset) {
      highestFinished = Math.max(highestFinished ?? offset, offset);
    },
    committable() {
      return highestFinished === null ? null : highestFinished + 1;
    },
  };
}
