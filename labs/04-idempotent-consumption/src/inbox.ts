/**
 * Lab 04, L4.C: a claim that holds under concurrent redelivery. This is your file.
 *
 * Two consumers can hold the same message at once: a rebalance hands its queue to a new owner while
 * the old one, paused, is still at work; a redelivery timeout fires while the first handler runs.
 * At READ COMMITTED, "read the inbox; if the key is absent, write it" is a race: both read
 * "absent", both write, both apply the effect. Only the database can decide between them.
 */
import { NotImplemented } from "#lab";
import type { Claim, Transaction } from "#labs/04-idempotent-consumption/provided.ts";

/**
 * Records in `tx` that `key` is being applied, and says whether this transaction is the first.
 *
 * Contract: "first" for exactly one of any number of concurrent transactions claiming one key,
 * counting only those that commit: if the first claimant rolls back, a later (or waiting) one gets
 * "first". "seen" once a committed transaction holds the key. It may wait for another open
 * transaction that claimed the key. Writes only to the inbox table (`TABLES.inbox`), at the key.
 * Never dooms `tx` for a taken key: the caller commits its "seen" answer so that the delivery is
 * acknowledged.
 *
 * Hints: does reading "absent" reserve anything? Which statement makes the database itself decide
 * between two transactions (docs/business-database.md)?
 */
export async function claim(tx: Transaction, key: string): Promise<Claim> {
  // YOUR CODE HERE (L4.C)
  void tx;
  void key;
  throw new NotImplemented("L4.C");
}
