/**
 * L4.F's checker: judges what a read_committed reader finds once the faults have healed (the
 * inputs of `orders-in`, the outputs of `payments`), the raw `payments` logs, the group's
 * committed offsets, and the broker's group history (every generation and every offset commit it
 * accepted, from `GroupsConfig.observe`). The transformers' requests, recorded as operations, only
 * name who did what in a report. Every output's body names its input (`paymentFor`).
 *
 * The anomalies, in the order a report gives them, each with a counterexample:
 * - duplicate: one input record with two committed outputs.
 *     orders-in/1:5 transformed twice: payments/1:7 by t1 (epoch 6, generation 3, commit
 *     acknowledged at 412.0 ms) and payments/1:9 by t2 (epoch 2, generation 4, ...).
 * - zombie commit: the broker accepted offsets of a partition from a node the group's generation
 *   at that moment did not give that partition to: a member paused past its session, or one that
 *   sent no generation at all (-1, the pre-KIP-447 overload).
 *     t1 committed orders-in/1 at 6 (transactional, generation -1 sent) at 380.0 ms, while the
 *     group was at generation 4, which gave orders-in/1 to t2.
 * - aborted read: an output made from an input no committed transaction wrote, or an output the
 *   reader saw whose batch an ABORT marker closes (the broker's side: should never fire).
 *     payments/0:4 came from orders-in/2:3, which no committed transaction of the producer wrote.
 * - lost write: a committed input with no committed output, once everything healed and settled.
 *     orders-in/0:8 (key o12) has no output in payments.
 * - not live: the group's committed offset of an input partition is not past its last committed
 *   record 1.5 s after the heal (or stays unstable).
 *     orders-in/2: committed offset 4, its last committed record is at 9.
 */
import { type Anomaly, type AnomalyName, anomaly, anomalyLists } from "#harness/checkers/anomaly.ts";
import { formatMs } from "#harness/sim/trace.ts";
import type { Op } from "#harness/workloads/history.ts";
import type { GroupEvent } from "#labs/shared/broker/kafka/groups.ts";
import type { LogEntry } from "#labs/shared/broker/protocol.ts";
import { INPUT_TOPIC, OUTPUT_TOPIC } from "../provided.ts";

export interface Placed {
  partition: number;
  offset: number;
  key: string;
}

export interface TransformEvidence {
  /** Every record of `orders-in` a read_committed reader got after the heal. */
  inputs: readonly Placed[];
  /** Every record of `payments` a read_committed reader got after the heal, with the input its body names. */
  outputs: readonly (Placed & { source: { partition: number; offset: number } | null })[];
  /** Each `payments` partition's raw log (markers included), read after the heal. */
  rawOutputs: readonly (readonly LogEntry[])[];
  /** The group's committed offset of each input partition once settled (at most 1.5 s after the heal); "unstable" if it never settled. */
  committed: readonly (number | null)[] | "unstable";
  /** The broker's group history, in order. */
  groupEvents: readonly GroupEvent[];
  /** The transformers' requests (`produceTxn`, `txnOffsetCommit`, `endTxn`, ...), to name who did what. */
  ops: readonly Op[];
}

/** When the reader reads: the workload's bound (transform.ts, SETTLE_MAX_MS). */
const SETTLED = "1.5 s after the heal";

const KINDS = ["duplicate", "zombie commit", "aborted read", "lost write", "not live"] as const satisfies AnomalyName[];
/** At most this many anomalies of one kind: the first few tell the story. */
const LIMIT = 3;

export function checkTransform(e: TransformEvidence): Anomaly[] {
  const found = anomalyLists(KINDS);
  const add = (name: (typeof KINDS)[number], text: string, ops: Op[] = []) => {
    if (found[name].length < LIMIT) found[name].push(anomaly(name, text, ops));
  };
  const at = (p: { partition: number; offset: number }, topic = INPUT_TOPIC) => `${topic}/${p.partition}:${p.offset}`;

  // duplicate
  const bySource = new Map<string, TransformEvidence["outputs"][number][]>();
  for (const out of e.outputs) {
    if (out.source === null) continue;
    const key = at(out.source);
    bySource.set(key, [...(bySource.get(key) ?? []), out]);
  }
  for (const [source, outs] of bySource) {
    if (outs.length < 2) continue;
    const who = outs.map((o) => describeOutput(o, e.ops));
    add(
      "duplicate",
      `${source} transformed ${outs.length} times, each committed: ${who.map((w) => w.text).join("; and ")}`,
      who.flatMap((w) => w.ops),
    );
  }

  // zombie commit
  let owners = new Map<string, Map<number, string>>();
  let generations = new Map<string, number>();
  for (const event of e.groupEvents) {
    if (event.kind === "generation") {
      const byPartition = new Map<number, string>();
      for (const m of event.members) for (const p of m.partitions) byPartition.set(p, m.node);
      owners = new Map(owners).set(event.group, byPartition);
      generations = new Map(generations).set(event.group, event.generation);
      continue;
    }
    const owned = owners.get(event.group) ?? new Map<number, string>();
    const foreign = event.offsets.filter((o) => owned.get(o.partition) !== event.node);
    if (foreign.length === 0) continue;
    const list = foreign
      .map((o) => {
        const owner = owned.get(o.partition);
        return `${INPUT_TOPIC}/${o.partition} at ${o.offset}${owner === undefined ? " (no member has it)" : ` (${owner}'s)`}`;
      })
      .join(", ");
    const how = event.producerId === null ? "outside any transaction" : "in a transaction";
    const sent = event.generation === -1 ? "no generation sent (group id only)" : `generation ${event.generation} sent`;
    add(
      "zombie commit",
      `${event.node} committed ${list} ${how}, ${sent}, and the broker accepted it at ${formatMs(event.atMs)} while the group was at generation ${generations.get(event.group) ?? event.currentGeneration}: those partitions were not ${event.node}'s. A member paused past its session, or one whose offsets carry no generation, must be refused (KIP-447: commit with the consumer's group metadata)`,
    );
  }

  // aborted read
  const inputs = new Set(e.inputs.map((i) => at(i)));
  for (const out of e.outputs) {
    const place = at(out, OUTPUT_TOPIC);
    if (out.source !== null && !inputs.has(at(out.source))) {
      add(
        "aborted read",
        `${place} (key ${out.key}) was made from ${at(out.source)}, which no committed transaction wrote: inputs are read read_committed`,
        describeOutput(out, e.ops).ops,
      );
      continue;
    }
    const closing = closingMarker(e.rawOutputs[out.partition] ?? [], out.offset);
    if (closing !== "commit") {
      add(
        "aborted read",
        `${place} (key ${out.key}) was read read_committed, yet ${closing === "abort" ? "an ABORT marker closes its batch" : "no marker closes its batch"}`,
      );
    }
  }

  // lost write
  for (const input of e.inputs) {
    if (bySource.has(at(input))) continue;
    add(
      "lost write",
      `${at(input)} (key ${input.key}) was committed to ${INPUT_TOPIC} but no committed output in ${OUTPUT_TOPIC} came from it, once every fault had healed and the transformers had had time to catch up`,
    );
  }

  // not live
  const lastOf = new Map<number, number>();
  for (const input of e.inputs) lastOf.set(input.partition, Math.max(lastOf.get(input.partition) ?? -1, input.offset));
  if (e.committed === "unstable") {
    add(
      "not live",
      `the group's offsets of ${INPUT_TOPIC} were still unstable (a transaction holding offsets never ended) ${SETTLED}`,
    );
  } else {
    for (const [partition, last] of [...lastOf].sort((a, b) => a[0] - b[0])) {
      const committed = e.committed[partition] ?? null;
      if (committed !== null && committed > last) continue;
      add(
        "not live",
        `${INPUT_TOPIC}/${partition}: the group's committed offset is ${committed ?? "none"} ${SETTLED}, but its last committed record is at ${last}`,
      );
    }
  }
  return KINDS.flatMap((kind) => found[kind]);
}

/** The marker of the producer of the batch at `offset` that closes it: "commit", "abort", or null. */
function closingMarker(log: readonly LogEntry[], offset: number): "commit" | "abort" | null {
  const batch = log.find((entry) => entry.offset === offset);
  if (batch === undefined) return null;
  const marker = log.find(
    (entry) => entry.offset > offset && entry.kind === "marker" && entry.producerId === batch.producerId,
  );
  return marker?.kind === "marker" ? (marker.commit ? "commit" : "abort") : null;
}

interface Input {
  topic?: string;
  partition?: number;
  epoch?: number;
  producerId?: number;
  generation?: number;
  commit?: boolean;
}

/** Who wrote an output, from the recorded requests: node, epoch, generation, and the commit's fate. */
function describeOutput(out: Placed, ops: readonly Op[]): { text: string; ops: Op[] } {
  const place = `${OUTPUT_TOPIC}/${out.partition}:${out.offset}`;
  const produce = ops.find((op) => {
    const input = op.input as Input;
    const reply = op.output as { kind?: string; baseOffset?: number } | undefined;
    return (
      op.f === "produceTxn" &&
      (input.topic ?? "payments") === OUTPUT_TOPIC &&
      input.partition === out.partition &&
      (reply?.kind === "ok" || reply?.kind === "duplicate") &&
      reply.baseOffset === out.offset
    );
  });
  if (produce === undefined) return { text: place, ops: [] };
  const { epoch, producerId } = produce.input as Input;
  const same = (op: Op) =>
    op.client === produce.client &&
    op.index > produce.index &&
    (op.input as Input).epoch === epoch &&
    (op.input as Input).producerId === producerId;
  const offsets = ops.find((op) => op.f === "txnOffsetCommit" && same(op));
  const end = ops.find((op) => op.f === "endTxn" && same(op) && (op.input as Input).commit === true);
  const generation = (offsets?.input as Input | undefined)?.generation;
  const parts = [
    `epoch ${epoch}`,
    offsets === undefined
      ? "no offsets in its transaction"
      : generation === -1
        ? "offsets with no generation"
        : `generation ${generation}`,
    end === undefined
      ? "commit never asked"
      : end.status === "ok"
        ? `commit acknowledged at ${formatMs(end.completedAtMs ?? end.invokedAtMs)}`
        : `commit sent at ${formatMs(end.invokedAtMs)}, no answer`,
  ];
  return {
    text: `${place} by ${produce.client} (${parts.join(", ")})`,
    ops: [produce, ...(offsets === undefined ? [] : [offsets]), ...(end === undefined ? [] : [end])],
  };
}
