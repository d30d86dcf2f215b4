/**
 * L3.D, when a half may be checked: once it is older than the transaction timeout and its own
 * immunity. Before that, nothing happens to it, and no check is spent: immunity is a promise not
 * to ask, not a reason to count (RocketMQ counts while it waits, #8311, #615).
 */
import { type HalfMessage, type ServiceContext, TIMING } from "#labs/03-transactional-messages/provided.ts";

export function dueForCheck(_service: ServiceContext, half: HalfMessage, ageMs: number): boolean {
  return ageMs >= Math.max(TIMING.transactionTimeoutMs, half.checkImmunityMs);
}
