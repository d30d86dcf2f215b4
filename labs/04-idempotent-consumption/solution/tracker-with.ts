/**
 * L4.E's tracker, assembled from its three parts (offset-tracker.ts gives the reference's; a
 * bug-zoo entry replaces one): the offsets in flight, the end (what to commit once none is), and
 * the choice between the two.
 */
import type { OffsetTracker } from "#labs/04-idempotent-consumption/provided.ts";

/** The offsets received and not finished. */
export interface InFlight {
  add(offset: number): void;
  remove(offset: number): void;
  /** The lowest offset in flight; null if none is. */
  lowest(): number | null;
}

/** What to commit with nothing in flight, kept up as offsets arrive and finish. */
export interface End {
  received(offset: number): void;
  finished(offset: number): void;
  /** Null if nothing was ever received. */
  value(): number | null;
}

export interface TrackerParts {
  inFlight(): InFlight;
  end(): End;
  /** The offset to commit, from the lowest in flight and the end. */
  choose(lowest: number | null, end: number | null): number | null;
}

export function openTrackerWith(parts: TrackerParts): () => OffsetTracker {
  return () => {
    const inFlight = parts.inFlight();
    const end = parts.end();
    return {
      received(offsets) {
        for (const offset of offsets) {
          inFlight.add(offset);
          end.received(offset);
        }
      },
      finished(offset) {
        inFlight.remove(offset);
        end.finished(offset);
      },
      committable() {
        return parts.choose(inFlight.lowest(), end.value());
      },
    };
  };
}
