/**
 * Bug zoo, lab 04: SORTED AS STRINGS.
 *
 * "Keep the in-flight offsets in an array, sort it, take the first." JavaScript's `sort()` with no
 * comparator compares strings: with 9 and 10 in flight, "10" comes first, and offset 10 is
 * committed while 9 still runs.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  const inFlight: number[] = [];
  let end: number | null = null;
  return {
    received(offsets) {
      inFlight.push(...offsets);
      const last = offsets.at(-1);
      if (last !== undefined) end = last + 1;
    },
    finished(offset) {
      inFlight.splice(inFlight.indexOf(offset), 1);
    },
    committable() {
      if (inFlight.length === 0) return end;
      return inFlight.sort()[0] ?? end;
    },
  };
}
