/**
 * Bug zoo, lab 04: COMMIT WHAT WAS PULLED.
 *
 * "Pulled means taken: once the runtime has the messages, move the offset on." It is auto-commit
 * with a short interval: the offset runs ahead of the handlers, and a crash loses every message
 * still in flight.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

export function openTracker(): OffsetTracker {
  let next: number | null = null;
  return {
    received(offsets) {
      for (const offset of offsets) next = Math.max(next ?? 0, offset + 1);
    },
    finished() {},
    committable() {
      return next;
    },
  };
}
