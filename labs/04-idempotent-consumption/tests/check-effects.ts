/**
 * Lab 04's effect checker (parts L4.A to L4.E): was every operation's effect applied exactly once?
 *
 * It reads only what the producer was told and what the database committed: the operations the
 * producer sent (each copy with its message id and whether the broker acknowledged it), and the
 * committed ledger rows, one per application of an event (`applyOrderEvent` writes them), with
 * the transaction that committed each. It never looks at how the handler was written.
 *
 * Anomalies, each with a minimal counterexample:
 * - `applied twice`: an operation with two ledger rows. Order o17 step 2 was sent as m-5 and
 *   resent as m-9; c1 committed a row for m-5 at 12.4 ms and c2 one for m-9 at 13.1 ms: "applied
 *   twice: order o17 step 2 (charge 2500) by c1 at 12.400ms (message m-5) and by c2 at 13.100ms
 *   (message m-9, a resend of m-5 under a new id)".
 * - `lost write`: an operation some copy of which was acknowledged to the producer, with no
 *   ledger row once the faults healed and every redelivery had time to come. Order o4 step 3 sent
 *   as m-12, acknowledged; no row.
 * - `wrong answer`: a ledger row for an operation nobody sent (the effect was applied with a
 *   wrong event), or a balance that differs from its opening plus its ledger rows (an effect
 *   applied in part).
 * An operation none of whose copies was acknowledged may have been applied once or not at all.
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { ScannedRow } from "#harness/db.ts";
import type { SimDatabase } from "#harness/sim/db.ts";
import { formatMs } from "#harness/sim/trace.ts";
import type { Op } from "#harness/workloads/history.ts";
import { type BalanceRow, type LedgerRow, type OrderEvent, TABLES } from "../provided.ts";
import { describeEvent } from "./orders.ts";

/** One copy of an operation the producer sent. */
export interface SentCopy {
  messageId: string;
  /** The broker acknowledged it: it is stored, so it will be delivered. */
  acknowledged: boolean;
  /** The producer's send, for the report. */
  op?: Op;
}

/** One operation, with every copy the producer sent of it (the first, then resends). */
export interface SentOperation {
  event: OrderEvent;
  copies: SentCopy[];
}

/** One committed application of an event: a ledger row, and who committed it when. */
export interface Application {
  applicationId: string;
  row: LedgerRow;
  nodeId: string;
  committedAtMs: number;
}

export interface EffectsEvidence {
  sent: readonly SentOperation[];
  applications: readonly Application[];
  /** The committed balances, and what each customer's balance was opened with. */
  balances: readonly ScannedRow<BalanceRow>[];
  openingCents: number;
  /** The handler calls that carried an operation (any copy), for the report's timeline. */
  handledOps?(event: Pick<OrderEvent, "orderId" | "step">): Op[];
}

/** The committed applications, from the database's committed transactions. */
export function applicationsOf(db: SimDatabase): Application[] {
  const applications: Application[] = [];
  for (const tx of db.history()) {
    for (const write of tx.writes) {
      if (write.table !== TABLES.ledger || !("row" in write)) continue;
      applications.push({
        applicationId: write.key,
        row: write.row as LedgerRow,
        nodeId: tx.nodeId,
        committedAtMs: tx.endedAtMs,
      });
    }
  }
  return applications;
}

/** The name of an operation: what the producer meant, whatever copy carried it. */
export function operationOf(event: Pick<OrderEvent, "orderId" | "step">): string {
  return `${event.orderId}\u0000${event.step}`;
}

export function checkEffects(evidence: EffectsEvidence): Anomaly[] {
  const byOperation = new Map<string, Application[]>();
  for (const application of evidence.applications) {
    const key = operationOf(application.row);
    byOperation.set(key, [...(byOperation.get(key) ?? []), application]);
  }
  const sentKeys = new Set(evidence.sent.map((operation) => operationOf(operation.event)));
  const committedOf = (operation: SentOperation) => byOperation.get(operationOf(operation.event)) ?? [];
  const handled = (operation: SentOperation): Op[] => evidence.handledOps?.(operation.event) ?? [];
  return [
    ...evidence.sent.flatMap((operation) => appliedTwice(operation, committedOf(operation), handled)),
    ...evidence.sent.flatMap((operation) => lostWrite(operation, committedOf(operation), handled)),
    ...unsentApplications(evidence.applications, sentKeys),
    ...wrongBalances(evidence),
  ];
}

type HandledOps = (operation: SentOperation) => Op[];

/** An operation's second application (or later): its copies and its handlers' calls are marked. */
function appliedTwice(operation: SentOperation, committed: readonly Application[], handled: HandledOps): Anomaly[] {
  const applications = [...committed].sort((a, b) => a.committedAtMs - b.committedAtMs);
  if (applications.length < 2) return [];
  // The producer's first copy is the original; any other message id is a resend of it.
  const first = operation.copies[0]?.messageId ?? applications[0]?.row.messageId;
  const by = applications.map((a) => {
    const resend = a.row.messageId !== first ? `, a resend of ${first} under a new id` : "";
    return `by ${a.nodeId} at ${formatMs(a.committedAtMs)} (message ${a.row.messageId}${resend})`;
  });
  const ops = [...operation.copies.flatMap((copy) => (copy.op === undefined ? [] : [copy.op])), ...handled(operation)];
  return [anomaly("applied twice", `${describeEvent(operation.event)} ${by.join(" and ")}`, ops)];
}

/** An operation acknowledged to its producer and never applied. */
function lostWrite(operation: SentOperation, committed: readonly Application[], handled: HandledOps): Anomaly[] {
  const acknowledged = operation.copies.filter((copy) => copy.acknowledged);
  if (acknowledged.length === 0 || committed.length > 0) return [];
  const copies = acknowledged.map((copy) => copy.messageId).join(", ");
  const ops = [...acknowledged.flatMap((copy) => (copy.op === undefined ? [] : [copy.op])), ...handled(operation)];
  return [
    anomaly(
      "lost write",
      `${describeEvent(operation.event)} was acknowledged to the producer (as ${copies}) and never applied, though the faults healed and every redelivery had time to come`,
      ops,
    ),
  ];
}

function unsentApplications(applications: readonly Application[], sentKeys: Set<string>): Anomaly[] {
  return applications
    .filter((a) => !sentKeys.has(operationOf(a.row)))
    .map((a) =>
      anomaly(
        "wrong answer",
        `${describeEvent(a.row)} was applied by ${a.nodeId} at ${formatMs(a.committedAtMs)} (message ${a.row.messageId}), but no such operation was sent`,
      ),
    );
}

function wrongBalances(evidence: EffectsEvidence): Anomaly[] {
  const expected = new Map<string, number>();
  for (const { row } of evidence.applications) {
    const delta = row.kind === "charge" ? row.amountCents : row.kind === "refund" ? -row.amountCents : 0;
    expected.set(row.customer, (expected.get(row.customer) ?? evidence.openingCents) + delta);
  }
  const found: Anomaly[] = [];
  for (const { key, row } of evidence.balances) {
    const want = expected.get(key) ?? evidence.openingCents;
    if (row.cents === want) continue;
    found.push(
      anomaly(
        "wrong answer",
        `customer ${key}'s balance is ${row.cents}, but its opening (${evidence.openingCents}) and its ledger rows make ${want}: an effect was applied in part`,
      ),
    );
  }
  return found;
}
