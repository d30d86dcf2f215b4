/**
 * What a lock reply tells a consumer. The consumer asks for every queue it should have, every
 * rebalance interval (RocketMQ's lockAll); the reply lists the queues granted, each with a token and
 * a lease. Read it queue by queue:
 *   - granted, and held with the same token: a renewal. Extend the lease estimate.
 *   - granted, not held: a new lock. Start a worker, with the grant's token.
 *   - granted, held with another token: the lock lapsed and came back (it may have been someone
 *     else's in between). The old worker is stale: stop it; the next round starts a fresh one.
 *   - not granted: someone else holds it (their lease has not run out yet). Stop our worker if we
 *     had one; never start one.
 * A reply that did not come back (`maybe`) tells nothing: keep everything as it is. The leases keep
 * running down, and the workers stop on their own when they end.
 */
import { TOPIC } from "#labs/02-ordered-messages/provided.ts";
import type { Consumer } from "./consumer-with.ts";

export async function lockAndRenew(consumer: Consumer, wanted: ReadonlySet<number>): Promise<void> {
  const { env, client, options, held, parts } = consumer;
  const sentAt = env.clock.now();
  const locked = await client.call({
    type: "lock",
    group: options.group,
    topic: TOPIC,
    consumerId: options.consumerId,
    queueIds: [...wanted],
  });
  if (locked.kind !== "ok" || locked.reply.kind !== "ok") return;
  const granted = new Map(locked.reply.granted.map((grant) => [grant.queueId, grant]));
  for (const queueId of wanted) {
    const grant = granted.get(queueId);
    const entry = held.get(queueId);
    if (grant === undefined) {
      if (entry !== undefined) entry.stopping = true;
      continue;
    }
    const activeUntil = parts.leaseEnd(sentAt, grant);
    if (entry === undefined) consumer.start(queueId, grant.token, activeUntil);
    else if (entry.token === grant.token && !entry.stopping) entry.activeUntil = activeUntil;
    else entry.stopping = true;
  }
}
