/**
 * Retrying until the broker answers. A request that times out (`maybe`) tells us nothing, so the
 * only safe thing a client that must not give up can do is ask again, after a brief pause (the
 * broker is usually just slow, or a partition is healing). Every retry in this solution goes through
 * here; what makes a retry *safe* is decided by the caller (the same sequence number, a read that
 * changes nothing).
 */
import type { Env } from "#lab";

/** Backoff between two tries: brief, because a lost request is usually not a dead broker. */
export const RETRY_BACKOFF_MS = 5;

/** Calls `attempt` until it returns something other than null, pausing briefly between tries. */
export async function retryUntil<T>(env: Env, attempt: () => Promise<T | null>): Promise<T> {
  for (;;) {
    const result = await attempt();
    if (result !== null) return result;
    await env.clock.sleep(RETRY_BACKOFF_MS);
  }
}
