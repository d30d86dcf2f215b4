/**
 * Bug zoo, lab 04: INSERT, AND CATCH THE DUPLICATE KEY.
 *
 * "Let the unique key decide: insert, and a duplicate-key error means seen." The database does
 * decide, but in PostgreSQL a failed statement dooms its transaction: the handler's commit of its
 * "seen" answer fails too, so the duplicate is never acknowledged. `insertIfAbsent` (INSERT ... ON
 * CONFLICT DO NOTHING) asks the same question without failing.
 */
import { type Claim, TABLES, type Transaction, UniqueViolation } from "#labs/04-idempotent-consumption/provided.ts";

export async function claim(tx: Transaction, key: string): Promise<Claim> {
  try {
    await tx.insert(TABLES.inbox, key, { claimed: true });
    return "first";
  } catch (error) {
    if (error instanceof UniqueViolation) return "seen";
    throw error;
  }
}
