/**
 * Bug zoo, lab 04: CHECK, THEN INSERT.
 *
 * "SELECT the key; if it is not there, write it." At READ COMMITTED a read sees only committed
 * rows and reserves nothing: two consumers holding the same message both read "absent", both write
 * the key (a plain upsert, so neither fails), and both apply the effect.
 */
import { type Claim, TABLES, type Transaction } from "#labs/04-idempotent-consumption/provided.ts";

export async function claim(tx: Transaction, key: string): Promise<Claim> {
  const existing = await tx.get(TABLES.inbox, key);
  if (existing !== undefined) return "seen";
  await tx.put(TABLES.inbox, key, { claimed: true });
  return "first";
}
