/**
 * L4.C A claim that holds under concurrent redelivery.
 *
 * Two transactions claim one key at once when two consumers hold the same message: a paused old
 * owner and the queue's new one, or a message handed out again while its first handler still runs.
 * At READ COMMITTED, "read the inbox, and insert if absent" lets both read "absent" (neither sees
 * the other's uncommitted row) and both go on to apply the effect. A read reserves nothing.
 *
 * The database must decide, and a unique key is how it decides: `insertIfAbsent` (PostgreSQL's
 * INSERT ... ON CONFLICT DO NOTHING) writes the row if no committed or in-flight row holds the key,
 * and if another open transaction holds it, it waits for that transaction to end: "seen" if it
 * committed, the row is ours if it rolled back. Exactly one committed claimant gets "first".
 *
 * Why not `insert` and catch UniqueViolation? In PostgreSQL a failed statement dooms the whole
 * transaction (every later statement fails until ROLLBACK), so the caller could not commit its
 * "seen" answer: the delivery would fail and come back for ever. ON CONFLICT DO NOTHING is not an
 * error, so the transaction stays usable.
 */
import { type Claim, TABLES, type Transaction } from "#labs/04-idempotent-consumption/provided.ts";

export async function claim(tx: Transaction, key: string): Promise<Claim> {
  const inserted = await tx.insertIfAbsent(TABLES.inbox, key, { claimed: true });
  return inserted ? "first" : "seen";
}
