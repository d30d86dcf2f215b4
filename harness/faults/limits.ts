/**
 * The bounds of fault plans, in one place, units last (as xv6 keeps its limits in param.h).
 *
 * A part narrows these for its own lab (its window, its outages); these are the defaults and the
 * hard ceilings that keep every drawn plan meaningful and every run short.
 */
export const faultLimits = {
  /** Longest outage (a crash's downtime, a pause, a partition) when a part does not say. */
  outageMsMaxDefault: 50,
  /** Furthest a clock jump moves a node's clock, either way. */
  skewMsMax: 60_000,
  /** Fastest or slowest a node's clock may run, in parts per million. */
  driftPpmMax: 200_000,
  /** Most fsyncs (or reads) one fsyncFails (or flipReads) event spoils. */
  spoiledCallsMax: 3,
  /**
   * Furthest a fault aimed at a gap counts: it fires right after the node's k-th disk call or
   * message, k in [1, this]. Small enough that every gap of a short protocol (a truncate, a write,
   * its fsync, a rename, the directory's fsync) is hit often; large enough to reach past boot.
   */
  boundaryCallsMax: 16,
  /** How long a supervisor waits before starting again a node that failed to start. */
  supervisorRetryMs: 5,
} as const;
