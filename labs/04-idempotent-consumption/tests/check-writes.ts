/**
 * Parts L4.B and L4.C: what the handler's transactions wrote, beyond the effect. The contracts
 * say a handler runs the claim and the effect, and nothing else, and that `claim` writes only to
 * the inbox table, at the key it is given (the grader's stand-in key, `orderId/step`, in these
 * parts). A row anywhere else is a `wrong answer`, even when no effect went wrong: a second "mark"
 * table, an inbox row at a message id, a deleted inbox row.
 * Counterexample: "wrong answer: c1's tx 7 (committed at 31.200ms) wrote processed/m-3: a
 * handler's transaction writes only the inbox row its claim makes (at the business key it is
 * given) and the effect's rows".
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TransactionRecord } from "#harness/sim/db.ts";
import { formatMs } from "#harness/sim/trace.ts";
import { TABLES } from "../provided.ts";

/** The tables the provided effect writes (`applyOrderEvent`). */
const EFFECT_TABLES: readonly string[] = [TABLES.balances, TABLES.ledger];

/**
 * Checks every committed transaction of the consumers `consumers`; `keys` are the business keys
 * the claims were given. One anomaly per transaction, at most `limit` in all.
 */
export function checkWrites(
  committed: readonly TransactionRecord[],
  consumers: readonly string[],
  keys: ReadonlySet<string>,
  limit = 3,
): Anomaly[] {
  const found: Anomaly[] = [];
  for (const tx of committed) {
    if (!consumers.includes(tx.nodeId) || found.length >= limit) continue;
    const stray = tx.writes.find(
      (w) => !EFFECT_TABLES.includes(w.table) && (w.table !== TABLES.inbox || !keys.has(w.key) || "deleted" in w),
    );
    if (stray === undefined) continue;
    const what = "deleted" in stray ? `deleted ${stray.table}/${stray.key}` : `wrote ${stray.table}/${stray.key}`;
    found.push(
      anomaly(
        "wrong answer",
        `${tx.nodeId}'s tx ${tx.id} (committed at ${formatMs(tx.endedAtMs)}) ${what}: a handler's transaction writes only the inbox row its claim makes (in table ${TABLES.inbox}, at the business key it is given) and the effect's rows`,
      ),
    );
  }
  return found;
}
