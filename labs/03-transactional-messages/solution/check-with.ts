/**
 * L3.D, assembled from five decisions, each in a file of its own so that each can be got wrong
 * alone (the bug zoo does): `ageOf` (age-of.ts: on whose clock a half is old), `dueForCheck`
 * (due-for-check.ts: the timeout and the immunity), `spendCheck` (spend-check.ts: count a check
 * only when a producer is there to ask), `setAside` (set-aside.ts), and `advanceProgress`
 * (advance-progress.ts: how far the next scan may start).
 *
 * One scan walks the half queue from the saved position to its end. Each half is handled in its
 * own try/catch: an error on one half is logged and counts it as pending, so the position never
 * moves past it and the next scan tries again (RocketMQ's scan stops on the first error and can
 * lose its place, apache/rocketmq#9500).
 */
import {
  type CheckReport,
  HALF_TOPIC,
  type HalfMessage,
  type ServiceContext,
  TIMING,
} from "#labs/03-transactional-messages/provided.ts";

/** What spending a check came to for one due half. */
export type Spent = "sent" | "offline" | "exhausted";

export interface CheckParts {
  /** How old the half is, in milliseconds. */
  ageOf(service: ServiceContext, half: HalfMessage): number;
  /** Whether a half of that age may be checked now. */
  dueForCheck(service: ServiceContext, half: HalfMessage, ageMs: number): boolean;
  /** Sends one check if a producer is live and checks remain, counting it; says which happened. */
  spendCheck(service: ServiceContext, half: HalfMessage): Spent;
  /** Sets an exhausted half aside, durably; false if it was resolved meanwhile. */
  setAside(service: ServiceContext, half: HalfMessage, reason: string): Promise<boolean>;
  /** Saves where the next scan starts, given the first half this scan left pending. */
  advanceProgress(service: ServiceContext, firstPending: number, end: number): void;
}

/** The progress counter holding the scan position. */
export const SCAN_POSITION = "half-scan";

export function checkOnceWith(parts: CheckParts): (service: ServiceContext) => Promise<CheckReport> {
  return async (service) => {
    const { broker, resolutions } = service;
    const report: CheckReport = { checked: [], setAside: [], skippedOffline: [] };
    const from = broker.progress.get(SCAN_POSITION);
    const end = broker.store.bounds(HALF_TOPIC, 0).maxOffset;
    let firstPending = end;
    for (let offset = from; offset < end; offset++) {
      if (resolutions.get(offset) !== undefined) continue;
      firstPending = Math.min(firstPending, offset);
      try {
        const half = await service.halves.read(offset);
        if (half === null || resolutions.get(offset) !== undefined) continue;
        if (!parts.dueForCheck(service, half, parts.ageOf(service, half))) continue;
        const spent = parts.spendCheck(service, half);
        if (spent === "sent") report.checked.push(offset);
        else if (spent === "offline") report.skippedOffline.push(offset);
        else {
          const reason = `no answer after ${TIMING.checkMax} checks`;
          if (await parts.setAside(service, half, reason))
            report.setAside.push({ halfOffset: offset, transactionId: half.transactionId, reason });
        }
      } catch (error) {
        broker.env.log.warn({ halfOffset: offset, error: String(error) }, "a half could not be checked this scan");
      }
    }
    parts.advanceProgress(service, firstPending, end);
    return report;
  };
}
