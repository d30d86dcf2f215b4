/**
 * Alternative tracker: the in-flight offsets in a sorted array (received offsets come ascending, so
 * they are appended; a finished one is spliced out), the committable offset its first element.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  const inFlight: number[] = [];
  let next: number | null = null;
  return {
    received(offsets) {
      for (const offset of offsets) {
        inFlight.push(offset);
        next = next === null ? offset + 1 : Math.max(next, offset + 1);
      }
      inFlight.sort((a, b) => a - b);
    },
    finished(offset) {
      const at = inFlight.indexOf(offset);
      if (at >= 0) inFlight.splice(at, 1);
    },
    committable() {
      return inFlight[0] ?? next;
    },
  };
}
