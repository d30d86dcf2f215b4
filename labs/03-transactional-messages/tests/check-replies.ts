/**
 * L3.F's checks of the coordinator's and partitions' replies, one sentence of the contract each
 * (src/coordinator.ts, src/partition-state.ts), judged from what the clients were told and what the
 * log holds, never from the coordinator's state. All are "wrong answer"s:
 *
 * - a reply the protocol does not have for its request (labs/shared/broker/protocol.ts), or an ok
 *   without the numbers it carries. The broker runs a Kafka side with every partition named, so
 *   `noSuchTopic` is wrong too.
 *     init(tx-a) -> {} (an initProducerId is answered ok, or concurrentTransactions).
 * - a commit refused that the log commits: the client was told its end(commit) was refused
 *   (fenced, invalidTxnState), yet a COMMIT marker closes the transaction's batch. Only that
 *   client's end can commit its transaction, so the refusal was the answer to a retry of a commit
 *   already decided (its reply lost), which must get the same ok reply again.
 *     end(tx-b/2, commit) refused (fenced); payments/1 holds tx-b/2/r1 at 4, COMMIT marker at 6.
 * - a produce answered `outOfOrder` whose batch (its key, partition, epoch and sequence) the log
 *   holds: a retry of a batch already appended (its first reply lost) is a `duplicate`, answered
 *   with the offset it has; and an ok or duplicate whose offset is not where the log holds it.
 *     produce(tx-a/1/r2, partition 1, sequence 1) -> outOfOrder expected 2; payments/1 holds it at 5.
 * - an end's ok reply whose epoch is not the epoch the markers of its decision carry.
 *     end(tx-a/1, commit) -> ok epoch 2; payments/0's COMMIT marker after tx-a/1/r1 has epoch 3.
 * - the probe's ends, sent once its second transaction committed (the harness knows the answers):
 *   a retry of that commit with the epoch it ran under (the same ok, the same epoch), the opposite
 *   decision with that epoch (invalidTxnState), an end with the current epoch and nothing open
 *   (invalidTxnState), an end with an older epoch (fenced).
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { describeOp, type Op } from "#harness/workloads/history.ts";
import type { LogEntry } from "#labs/shared/broker/protocol.ts";

/** The reply kinds each client operation may get in L3.F, and the numbers an ok one carries. */
const REPLIES: Record<string, { kinds: readonly string[]; numbers: Record<string, readonly string[]> }> = {
  init: { kinds: ["ok", "concurrentTransactions"], numbers: { ok: ["producerId", "epoch"] } },
  add: { kinds: ["ok", "fenced", "concurrentTransactions"], numbers: {} },
  produce: {
    kinds: ["ok", "duplicate", "fenced", "invalidTxnState", "outOfOrder", "error"],
    numbers: { ok: ["baseOffset"], duplicate: ["baseOffset"], outOfOrder: ["expected"] },
  },
  end: { kinds: ["ok", "fenced", "invalidTxnState", "concurrentTransactions"], numbers: { ok: ["epoch"] } },
};

/** One of the probe's extra end requests: what was sent, and what the contract answers. */
export interface ProbeEndInput {
  id: string;
  txn: string;
  commit: boolean;
  epoch: number;
  /** "ok epoch 6", "invalidTxnState", "fenced" */
  expected: { kind: "ok"; epoch: number } | { kind: "invalidTxnState" | "fenced" };
  /** Why, in words: "a retry of tx-p/2's commit with the epoch it ran under (5)". */
  what: string;
}

interface ProduceInput {
  partition: number;
  epoch: number;
  sequence: number;
  key: string;
}

interface EndInput {
  txn: string;
  commit: boolean;
  epoch: number;
}

type Marker = Extract<LogEntry, { kind: "marker" }>;

const txnOf = (key: string): string => key.slice(0, key.lastIndexOf("/"));

export function checkReplies(ops: readonly Op[], logs: readonly LogEntry[][]): Anomaly[] {
  const wrong: Anomaly[] = [];
  const replied = (op: Op): { kind?: unknown } | undefined =>
    op.status === "ok" || op.status === "fail" ? (op.output as { kind?: unknown } | undefined) : undefined;

  // Replies the protocol does not have: the first of each operation kind is enough.
  const reportedKinds = new Set<string>();
  for (const op of ops) {
    const shape = REPLIES[op.f];
    const reply = replied(op);
    if (shape === undefined || reply === undefined || reportedKinds.has(op.f)) continue;
    const kind = typeof reply.kind === "string" ? reply.kind : undefined;
    const numbers = kind === undefined ? [] : (shape.numbers[kind] ?? []);
    const missing = numbers.filter((field) => !Number.isInteger((reply as Record<string, unknown>)[field]));
    if (kind !== undefined && shape.kinds.includes(kind) && missing.length === 0) continue;
    reportedKinds.add(op.f);
    wrong.push(
      anomaly(
        "wrong answer",
        `${describeCall(op)} was answered ${JSON.stringify(reply)}: ` +
          (kind !== undefined && shape.kinds.includes(kind)
            ? `an ${kind} reply carries ${missing.join(" and ")} as whole numbers.`
            : `the protocol answers it ${shape.kinds.join(", ")} (labs/shared/broker/protocol.ts), and the broker here serves every partition.`),
        [op],
      ),
    );
  }

  // Each transaction's batches in the log, with the marker of its producer that closes each.
  const closers = new Map<string, { partition: number; batch: LogEntry; marker: Marker | null }[]>();
  logs.forEach((log, partition) => {
    log.forEach((entry, at) => {
      if (entry.kind !== "data") return;
      const marker =
        log
          .slice(at + 1)
          .find((later): later is Marker => later.kind === "marker" && later.producerId === entry.producerId) ?? null;
      for (const txn of new Set(entry.records.map((r) => txnOf(r.key)))) {
        closers.set(txn, [...(closers.get(txn) ?? []), { partition, batch: entry, marker }]);
      }
    });
  });

  // Where each record's batch lies: key -> partition, offset, epoch and sequence of each copy.
  const batches = new Map<string, { partition: number; offset: number; epoch: number; sequence: number }[]>();
  logs.forEach((log, partition) => {
    for (const entry of log) {
      if (entry.kind !== "data") continue;
      for (const record of entry.records) {
        const copy = { partition, offset: entry.offset, epoch: entry.epoch, sequence: entry.sequence };
        batches.set(record.key, [...(batches.get(record.key) ?? []), copy]);
      }
    }
  });
  const reportedProduce = new Set<string>();
  for (const op of ops) {
    if (op.f !== "produce") continue;
    const input = op.input as ProduceInput;
    const reply = replied(op) as { kind?: string; baseOffset?: number; expected?: number } | undefined;
    if (reply === undefined) continue;
    const copies = (batches.get(input.key) ?? []).filter((c) => c.partition === input.partition);
    const same = copies.find((c) => c.epoch === input.epoch && c.sequence === input.sequence);
    if (reply.kind === "outOfOrder" && same !== undefined && !reportedProduce.has("outOfOrder")) {
      reportedProduce.add("outOfOrder");
      wrong.push(
        anomaly(
          "wrong answer",
          `${describeCall(op)} was answered ${JSON.stringify(reply)}, but payments/${input.partition} holds that very batch ` +
            `(epoch ${input.epoch}, sequence ${input.sequence}) at offset ${same.offset}: a retry of a batch already appended ` +
            "(its first reply lost) is a duplicate, answered with the offset it has.",
          [op],
        ),
      );
    }
    const offset = reply.baseOffset;
    if (
      (reply.kind === "ok" || reply.kind === "duplicate") &&
      typeof offset === "number" &&
      copies.length > 0 &&
      !copies.some((c) => c.offset === offset) &&
      !reportedProduce.has("offset")
    ) {
      reportedProduce.add("offset");
      wrong.push(
        anomaly(
          "wrong answer",
          `${describeCall(op)} was answered ${JSON.stringify(reply)}, but payments/${input.partition} holds ${input.key} ` +
            `at offset ${copies.map((c) => c.offset).join(" and ")}: an ok or a duplicate names the offset where the batch is.`,
          [op],
        ),
      );
    }
  }

  for (const op of ops) {
    if (op.f !== "end") continue;
    const input = op.input as EndInput;
    const reply = replied(op) as { kind?: string; epoch?: number } | undefined;
    if (reply === undefined) continue;
    const own = (closers.get(input.txn) ?? []).filter((c) => c.batch.epoch === input.epoch);
    const committed = own.find((c) => c.marker?.commit === true);
    // concurrentTransactions is left out: a client that gave up on it may still see a duplicated
    // copy of its request commit later, rightly.
    const refused = op.status === "fail" && (reply.kind === "fenced" || reply.kind === "invalidTxnState");
    if (input.commit && refused && committed !== undefined && committed.marker !== null) {
      wrong.push(
        anomaly(
          "wrong answer",
          `${describeCall(op)} was refused (${JSON.stringify(reply)}), but payments/${committed.partition} commits it: ` +
            `its batch at offset ${committed.batch.offset} is closed by a COMMIT marker at ${committed.marker.offset}. ` +
            "Only this client's end can commit its transaction, so the refusal answered a retry of a commit already decided " +
            "(its first reply lost): a retry with the epoch the transaction ran under and the same decision gets the same ok reply, with the same new epoch.",
          [op],
        ),
      );
      continue;
    }
    if (op.status !== "ok" || reply.kind !== "ok" || typeof reply.epoch !== "number") continue;
    const decided = own.find((c) => c.marker !== null && c.marker.commit === input.commit);
    if (decided?.marker != null && decided.marker.epoch !== reply.epoch) {
      wrong.push(
        anomaly(
          "wrong answer",
          `${describeOp(op)} told the producer its next epoch is ${reply.epoch}, but the ${input.commit ? "COMMIT" : "ABORT"} marker ` +
            `that closes its batch in payments/${decided.partition} (offset ${decided.marker.offset}) carries epoch ${decided.marker.epoch}: ` +
            "the ok reply and the decision's markers carry the same new epoch.",
          [op],
        ),
      );
    }
  }

  for (const op of ops) {
    if (op.f !== "end-probe") continue;
    const input = op.input as ProbeEndInput;
    const reply = replied(op) as { kind?: string; epoch?: number } | undefined;
    if (reply === undefined) continue;
    const expected = input.expected;
    const right = reply.kind === expected.kind && (expected.kind !== "ok" || reply.epoch === expected.epoch);
    if (right) continue;
    wrong.push(
      anomaly(
        "wrong answer",
        `the probe sent ${input.what}: endTxn(${input.id}, ${input.commit ? "commit" : "abort"}, epoch ${input.epoch}) ` +
          `was answered ${JSON.stringify(reply)}, where the contract answers ${JSON.stringify(expected)}.`,
        [op],
      ),
    );
  }
  return wrong;
}

function describeCall(op: Op): string {
  return `${op.client}: ${op.f}(${JSON.stringify(op.input)})`;
}
