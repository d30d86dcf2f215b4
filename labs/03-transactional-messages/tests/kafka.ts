/**
 * L3.F's workload: the learner's coordinator and partition states inside the broker, two harness
 * transactional producers, a read_committed consumer, and the two hazards of issue 8:
 *
 * - the zombie: tx-a (node k1) writes one or two records of a transaction to one or two
 *   partitions, then pauses for 400 to 800 ms, past the 300 ms transaction timeout (a GC pause).
 *   Its coordinator aborts the transaction. On waking, k1 carries on as Kafka's client would: adds
 *   the partition of its next record, which it had not used yet, produces to it, and commits. In
 *   half the seeds it pauses later, once all its records are written, and on waking sends its
 *   commit (with its old epoch: only a coordinator that fences it at endTxn refuses it). In some
 *   seeds a new incarnation of tx-a (node k3) calls initProducerId during the pause and runs
 *   transactions of its own (so that a zombie's end could decide the new incarnation's);
 * - the late produce (KIP-890): one produce of a tx-b (node k2) transaction is held by the network
 *   for 100 to 300 ms; the client gives up on it after its request timeout and aborts the
 *   transaction, and only then does the request reach the broker. tx-b's later transactions keep
 *   off that partition; in some seeds the next one has already added it when the late request
 *   arrives (so that a late batch verified against the wrong epoch would slip into it);
 * - the abandoned transaction: tx-c (node k5) writes one to three records of a transaction, then
 *   its process dies (before a record, or before its end request) and never comes back, and
 *   nobody uses tx-c again. Only the coordinator's timeout can end that transaction: without it
 *   the records stay open in their partitions, and the last stable offset never passes them.
 *
 * Meanwhile the broker crashes or loses power, some of the time right after one of its disk calls
 * (between a decision and its markers, between two partitions' markers), and the network loses,
 * duplicates and reorders messages. Once every fault has healed and every client has stopped, a
 * new transactional id on k4 runs two transactions, a record to every partition each, the second
 * begun once the transaction timeout has passed since the first: both must commit (a coordinator
 * or partition that refuses everything must not pass because it never shows anything wrong).
 * Then, once the transaction timeout has passed twice, the consumer drains and the auditor reads
 * the raw logs.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { describePlan, type FaultPlan, planArb } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { definePart } from "#harness/grade/define.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { TIMING } from "#labs/03-transactional-messages/provided.ts";
import type { TransactionModule } from "./api.ts";
import { checkKafka } from "./check-kafka.ts";
import type { ProbeEndInput } from "./check-replies.ts";
import { applyFaults, BROKER } from "./deployment.ts";
import {
  addKafkaProducerNode,
  type ClientHooks,
  call,
  initSession,
  type KafkaNode,
  runProducer,
  runTxn,
  type ScriptedTxn,
  type Session,
} from "./kafka-client.ts";
import { addKafkaConsumer, deployKafka } from "./kafka-deployment.ts";

const PARTITIONS = 3;

interface DrawnTxn {
  partitions: number[];
  commit: boolean;
  gapMs: number;
}

export interface KafkaScenario {
  txA: DrawnTxn[];
  txB: DrawnTxn[];
  zombie: {
    /** Which tx-a transaction pauses (modulo their number). */
    txn: number;
    /** Its partitions: the first one or two before the pause, the last one after. */
    order: number[];
    before: number;
    /** The pause comes before the end request instead, once every record is written. */
    beforeEnd: boolean;
    pauseMs: number;
    /** A new incarnation of tx-a on k3 calls initProducerId this long into the pause (null: none). */
    newIncarnationAfterMs: number | null;
    k3Txns: DrawnTxn[];
  };
  abandoned: {
    /** When tx-c begins, after the start. */
    startAfterMs: number;
    /** Its records' partitions, in order. */
    partitions: number[];
    /** How many of them it writes before k5 dies (modulo their number, plus one). */
    written: number;
  };
  late: {
    /** Which tx-b transaction has its last produce held (modulo their number). */
    txn: number;
    holdMs: number;
    /** The next transaction has added the held produce's partition when it arrives. */
    nextBegun: boolean;
  };
  plan: FaultPlan;
}

const drawnTxn: fc.Arbitrary<DrawnTxn> = fc.record({
  partitions: fc.array(fc.nat(PARTITIONS - 1), { minLength: 1, maxLength: 3 }),
  commit: fc.constantFrom(true, true, true, false),
  gapMs: fc.integer({ min: 0, max: 30 }),
});

export const kafkaScenario: fc.Arbitrary<KafkaScenario> = fc.record({
  txA: fc.array(drawnTxn, { minLength: 3, maxLength: 6 }),
  txB: fc.array(drawnTxn, { minLength: 3, maxLength: 6 }),
  zombie: fc.record({
    txn: fc.nat(5),
    order: fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
    before: fc.integer({ min: 1, max: 2 }),
    beforeEnd: fc.boolean(),
    pauseMs: fc.integer({ min: 400, max: 800 }),
    // Half the seeds: without a new incarnation, only the timeout abort can fence the zombie.
    newIncarnationAfterMs: fc.oneof(fc.constant(null), fc.integer({ min: 50, max: 300 })),
    k3Txns: fc.array(drawnTxn, { minLength: 1, maxLength: 2 }),
  }),
  abandoned: fc.record({
    startAfterMs: fc.integer({ min: 0, max: 300 }),
    partitions: fc.array(fc.nat(PARTITIONS - 1), { minLength: 1, maxLength: 3 }),
    written: fc.nat(2),
  }),
  late: fc.record({
    txn: fc.nat(5),
    holdMs: fc.integer({ min: 100, max: 300 }),
    nextBegun: fc.boolean(),
  }),
  plan: planArb({
    nodes: [BROKER],
    networkNodes: [BROKER, "k1", "k2", "k3", "c1"],
    kinds: ["crash", "powerLoss"],
    eventsMax: 2,
    windowMs: 600,
    outageMsMax: 100,
    boundaries: ["disk"],
    netRatesMax: { dropRate: 0.05, duplicateRate: 0.05, reorderRate: 0.1 },
  }),
});

/** The scripted transactions of one producer: record keys "<id>/<n>/r<i>", each unique. */
function scripted(id: string, drawn: readonly DrawnTxn[], offset = 0): ScriptedTxn[] {
  return drawn.map((d, i) => {
    const name = `${id}/${i + 1 + offset}`;
    return {
      name,
      records: d.partitions.map((partition, r) => ({ partition, key: `${name}/r${r + 1}` })),
      commit: d.commit,
      gapMs: d.gapMs,
    };
  });
}

/** tx-a's transactions, the paused one rewritten: records on `before` partitions, then a new one. */
function txAScript(s: KafkaScenario): { txns: ScriptedTxn[]; paused: ScriptedTxn } {
  const txns = scripted("tx-a", s.txA);
  const at = s.zombie.txn % txns.length;
  const base = txns[at] as ScriptedTxn;
  const partitions = [...s.zombie.order.slice(0, s.zombie.before), s.zombie.order[2] as number];
  const paused: ScriptedTxn = {
    ...base,
    commit: true,
    records: partitions.map((partition, r) => ({ partition, key: `${base.name}/r${r + 1}` })),
  };
  txns[at] = paused;
  return { txns, paused };
}

/** tx-c's one transaction, and how many of its records are written before k5 dies. */
function txCScript(s: KafkaScenario): { txn: ScriptedTxn; written: number } {
  const [txn] = scripted("tx-c", [{ partitions: s.abandoned.partitions, commit: true, gapMs: 0 }]);
  return { txn: txn as ScriptedTxn, written: (s.abandoned.written % s.abandoned.partitions.length) + 1 };
}

/** tx-b's transactions: the late one's held record is its last; later ones keep off its partition. */
function txBScript(s: KafkaScenario): { txns: ScriptedTxn[]; late: ScriptedTxn; heldPartition: number } {
  const txns = scripted("tx-b", s.txB);
  const at = s.late.txn % txns.length;
  const late = txns[at] as ScriptedTxn;
  const heldPartition = (late.records.at(-1) as { partition: number }).partition;
  for (const txn of txns.slice(at + 1)) {
    txn.records = txn.records.map((r) => ({
      ...r,
      partition: r.partition === heldPartition ? (heldPartition + 1) % PARTITIONS : r.partition,
    }));
  }
  return { txns, late, heldPartition };
}

export function describeKafka(s: KafkaScenario): string[] {
  const a = txAScript(s);
  const b = txBScript(s);
  const list = (txns: ScriptedTxn[]) =>
    txns
      .map((t) => `${t.name} [${t.records.map((r) => r.partition).join(",")}] ${t.commit ? "commit" : "abort"}`)
      .join(", ");
  return [
    ...describePlan(s.plan),
    `workload: tx-a on k1: ${list(a.txns)}; tx-b on k2: ${list(b.txns)}; c1 reads every partition read_committed`,
    (s.zombie.beforeEnd
      ? `zombie: k1 pauses ${s.zombie.pauseMs} ms in ${a.paused.name} once its records are written, then sends its commit`
      : `zombie: k1 pauses ${s.zombie.pauseMs} ms in ${a.paused.name} after ${s.zombie.before} record(s), then adds partition ${s.zombie.order[2]}, produces to it and commits`) +
      (s.zombie.newIncarnationAfterMs === null
        ? ""
        : `; a new incarnation of tx-a on k3 calls initProducerId ${s.zombie.newIncarnationAfterMs} ms into the pause`),
    `late produce: ${b.late.name}'s last record (partition ${b.heldPartition}) is held ${s.late.holdMs} ms; the client aborts` +
      (s.late.nextBegun ? "; its next transaction has added that partition when the request arrives" : ""),
    `abandoned transaction: ${abandonedWords(s)}`,
  ];
}

function abandonedWords(s: KafkaScenario): string {
  const c = txCScript(s);
  const partitions = c.txn.records.map((r) => r.partition).join(",");
  const when = c.written === c.txn.records.length ? "before its end request" : `after ${c.written} of them`;
  return `at ${s.abandoned.startAfterMs} ms, tx-c on k5 begins ${c.txn.name} [${partitions}]; k5 dies ${when} and never comes back`;
}

/** Thrown out of the client's hooks when k5 dies: its producer stops where it stood. */
class Abandoned extends Error {}

/** After the last client stopped: the transaction timeout twice, plus scans, plus the consumer's reads. */
const SETTLE_MS = 2 * (TIMING.kafkaTransactionTimeoutMs + TIMING.kafkaAbortScanMs) + 100;

export async function runKafkaWorkload(ctx: TestContext<TransactionModule>, s: KafkaScenario): Promise<Anomaly[]> {
  const { world } = ctx;
  const deployment = deployKafka(ctx, PARTITIONS);
  const started = await deployment.broker.start();
  if (started.kind === "error") throw started.error;
  await addKafkaConsumer(ctx, PARTITIONS).start();
  const k1 = addKafkaProducerNode(ctx, "k1");
  const k2 = addKafkaProducerNode(ctx, "k2");
  const k3 = addKafkaProducerNode(ctx, "k3");
  const k4 = addKafkaProducerNode(ctx, "k4");
  const k5 = addKafkaProducerNode(ctx, "k5");
  for (const node of [k1, k2, k3, k4, k5]) await node.start();
  const faults = applyFaults(ctx, s.plan);

  const a = txAScript(s);
  const k3Runs: Promise<void>[] = [];
  const pauseK1 = async (txn: ScriptedTxn): Promise<void> => {
    ctx.history.nemesis(`k1 pauses for ${s.zombie.pauseMs} ms inside ${txn.name}`);
    k1.pause();
    const newAfterMs = s.zombie.newIncarnationAfterMs;
    if (newAfterMs !== null) {
      k3Runs.push(
        (async () => {
          await world.sleep(newAfterMs);
          const session = await initSession(ctx, k3, "tx-a");
          if (session === null) return;
          for (const txn3 of scripted("tx-a", s.zombie.k3Txns, 100)) {
            await world.sleep(txn3.gapMs);
            if ((await runTxn(ctx, session, txn3)) !== "ended") return;
          }
        })(),
      );
    }
    await world.sleep(s.zombie.pauseMs);
    k1.resume();
    ctx.history.nemesis("k1 wakes up");
  };
  const zombieHooks: ClientHooks = {
    async beforeRecord(txn, index) {
      if (txn === a.paused && !s.zombie.beforeEnd && index === s.zombie.before) await pauseK1(txn);
    },
    async beforeEnd(txn) {
      if (txn === a.paused && s.zombie.beforeEnd) await pauseK1(txn);
    },
  };

  const b = txBScript(s);
  let heldUntilMs = 0;
  const lateHooks: ClientHooks = {
    holdProduce(txn, index) {
      if (txn !== b.late || index !== txn.records.length - 1) return null;
      heldUntilMs = world.nowMs + s.late.holdMs;
      return s.late.holdMs;
    },
    async afterTxn(txn, session) {
      if (txn !== b.late) return;
      const next = b.txns[b.txns.indexOf(txn) + 1];
      if (s.late.nextBegun && next !== undefined) {
        // The next transaction begins with the held partition, before the late request arrives.
        const op = ctx.history.invoke(k2.id, "add", {
          id: session.id,
          txn: next.name,
          partitions: [b.heldPartition],
          epoch: session.epoch,
        });
        const outcome = await k2.invoke((api) =>
          api.client.call({
            type: "addPartitionsToTxn",
            transactionalId: session.id,
            producerId: session.producerId,
            epoch: session.epoch,
            partitions: [b.heldPartition],
          }),
        );
        if (outcome.kind === "ok" && outcome.value.kind === "ok") {
          ctx.history.complete(op, outcome.value.reply.kind === "ok" ? "ok" : "fail", { output: outcome.value.reply });
        } else ctx.history.complete(op, "info", { note: "no answer" });
      }
      // The late request reaches the broker before the next transaction writes anything.
      await world.sleep(Math.max(0, heldUntilMs + 2 * TIMING.requestTimeoutMs - world.nowMs));
    },
  };

  const c = txCScript(s);
  const die = async (): Promise<never> => {
    ctx.history.nemesis(`k5 dies inside ${c.txn.name} and never comes back`);
    k5.crash();
    throw new Abandoned();
  };
  const abandonHooks: ClientHooks = {
    async beforeRecord(txn, index) {
      if (txn === c.txn && index === c.written) await die();
    },
    async beforeEnd(txn) {
      if (txn === c.txn) await die();
    },
  };
  const abandon = async (): Promise<void> => {
    await world.sleep(s.abandoned.startAfterMs);
    await runProducer(ctx, k5, "tx-c", [c.txn], abandonHooks).catch((error: unknown) => {
      if (!(error instanceof Abandoned)) throw error;
    });
  };

  await Promise.all([
    runProducer(ctx, k1, "tx-a", a.txns, zombieHooks),
    runProducer(ctx, k2, "tx-b", b.txns, lateHooks),
    abandon(),
  ]);
  await Promise.all(k3Runs);
  await faults.healed();
  await world.sleep(Math.max(0, heldUntilMs + 2 * TIMING.requestTimeoutMs - world.nowMs));
  quietForProbe(ctx);
  const probe = await runProbe(ctx, k4);
  await world.sleep(SETTLE_MS);
  const logs = [];
  for (let partition = 0; partition < PARTITIONS; partition++) logs.push(await deployment.readLog(partition));
  return checkKafka({
    ops: ctx.history.ops,
    logs,
    probe,
    brokerDeathsMs: deployment.broker.deaths.map((death) => death.atMs),
  });
}

const PROBE_ID = "tx-p";
/**
 * Probe attempts, each with a new initProducerId. One: on the quiet network (quietForProbe) nothing
 * but the implementation can spoil an attempt. (With three, a partition that fenced a new id's
 * second batch of epoch 0 passed: the second session, epoch 1 and on, committed.)
 */
const PROBE_ATTEMPTS = 1;

/**
 * The probe asks whether a new producer can commit once every fault is over, so the network stops
 * losing, duplicating and reordering messages before it starts. Otherwise a copy of the probe's
 * own initProducerId that arrives late fences the session it opened, rightly (an implementation
 * whose replies were a little slower than the reference's lost three attempts that way at seed
 * 8713), and lost replies, each costing a request timeout, can stretch a transaction past the
 * transaction timeout, whose abort fences it, rightly too (seed 2332 with one attempt).
 */
function quietForProbe(ctx: TestContext<TransactionModule>): void {
  const profile = ctx.world.network.profile;
  if (profile.dropRate === 0 && profile.duplicateRate === 0 && profile.reorderRate === 0) return;
  profile.dropRate = 0;
  profile.duplicateRate = 0;
  profile.reorderRate = 0;
  ctx.history.nemesis("the network stops losing, duplicating and reordering messages for the probe");
}

/**
 * After the heal, with every other client stopped: a new transactional id runs two transactions,
 * each a record to every partition, then a second record to partition 0 (sequence 1 there, under
 * the same epoch), and a commit; the second begun once the transaction timeout has passed since the first began (a
 * coordinator that times a transaction from its session's first, or a partition whose sequences do
 * not restart under a new epoch, fails the second; a partition that refuses the next sequence
 * fails both); again with a new session if one of them did not commit. Returns the attempts'
 * transaction names.
 */
async function runProbe(
  ctx: TestContext<TransactionModule>,
  node: SimNode<KafkaNode>,
): Promise<{ id: string; attempts: string[][] }> {
  const attempts: string[][] = [];
  for (let attempt = 0; attempt < PROBE_ATTEMPTS; attempt++) {
    const txns = [1, 2].map(
      (n): ScriptedTxn => ({
        name: `${PROBE_ID}/${2 * attempt + n}`,
        records: [...Array.from({ length: PARTITIONS }, (_, partition) => partition), 0].map((partition, r) => ({
          partition,
          key: `${PROBE_ID}/${2 * attempt + n}/r${r + 1}`,
        })),
        commit: true,
        gapMs: 0,
      }),
    );
    attempts.push(txns.map((t) => t.name));
    const second = txns[1] as ScriptedTxn;
    const committed = await probeOnce(ctx, node, txns[0] as ScriptedTxn, second);
    if (committed !== null) {
      await probeEnds(ctx, committed, second);
      break;
    }
  }
  return { id: PROBE_ID, attempts };
}

/** What the probe knows once its second transaction committed: the epochs the contract names. */
interface ProbeCommitted {
  session: Session;
  /** The epoch of the session's first transaction: older than the second's. */
  firstEpoch: number;
  /** The epoch the second transaction ran under. */
  secondEpoch: number;
}

/**
 * Once the probe's second transaction committed, four more ends test each sentence of endTxn's
 * contract where no fault is needed to reach it: a retry of that commit with the epoch it ran
 * under (its reply lost, say) gets the same ok with the same new epoch; the opposite decision with
 * that epoch, invalidTxnState; the current epoch with nothing open, invalidTxnState; an older
 * epoch, fenced. None of them may change the log (the consumer's reads and the audit would show it).
 */
async function probeEnds(
  ctx: TestContext<TransactionModule>,
  probe: ProbeCommitted,
  second: ScriptedTxn,
): Promise<void> {
  const { session } = probe;
  const next = session.epoch;
  const ends: Omit<ProbeEndInput, "id" | "txn">[] = [
    {
      commit: true,
      epoch: probe.secondEpoch,
      expected: { kind: "ok", epoch: next },
      what: `a retry of ${second.name}'s commit, with the epoch it ran under (${probe.secondEpoch})`,
    },
    {
      commit: false,
      epoch: probe.secondEpoch,
      expected: { kind: "invalidTxnState" },
      what: `an abort of ${second.name}, already committed, with the epoch it ran under (${probe.secondEpoch})`,
    },
    {
      commit: true,
      epoch: next,
      expected: { kind: "invalidTxnState" },
      what: `a commit with the current epoch (${next}) and no transaction open`,
    },
    {
      commit: true,
      epoch: probe.firstEpoch,
      expected: { kind: "fenced" },
      what: `a commit with an older epoch (${probe.firstEpoch}, the session's first transaction's)`,
    },
  ];
  for (const end of ends) {
    const input: ProbeEndInput = { id: session.id, txn: second.name, ...end };
    const op = ctx.history.invoke(session.node.id, "end-probe", input);
    const answer = await call(ctx, session.node, {
      type: "endTxn",
      transactionalId: session.id,
      producerId: session.producerId,
      epoch: end.epoch,
      commit: end.commit,
    });
    if (answer === null) ctx.history.complete(op, "info", { note: "no answer before the client gave up" });
    else ctx.history.complete(op, answer.reply.kind === end.expected.kind ? "ok" : "fail", { output: answer.reply });
  }
}

/** One probe attempt; what the probe needs to go on if both transactions committed, or null. */
async function probeOnce(
  ctx: TestContext<TransactionModule>,
  node: SimNode<KafkaNode>,
  first: ScriptedTxn,
  second: ScriptedTxn,
): Promise<ProbeCommitted | null> {
  const session = await initSession(ctx, node, PROBE_ID);
  if (session === null) return null;
  const startedAtMs = ctx.world.nowMs;
  const epoch = session.epoch;
  if ((await runTxn(ctx, session, first)) !== "ended" || session.epoch === epoch) return null;
  const secondEpoch = session.epoch;
  const timeoutMs = TIMING.kafkaTransactionTimeoutMs + 2 * TIMING.kafkaAbortScanMs;
  await ctx.world.sleep(Math.max(0, startedAtMs + timeoutMs - ctx.world.nowMs));
  // The second lasts longer than a timeout scan's interval, so that a scan meets it Ongoing.
  const slow: ClientHooks = {
    async beforeRecord(_txn, index) {
      if (index === 1) await ctx.world.sleep(TIMING.kafkaAbortScanMs + 10);
    },
  };
  const ended = await runTxn(ctx, session, second, slow);
  const committed =
    ended === "ended" &&
    ctx.history.ops.some(
      (op) =>
        op.f === "end" &&
        op.status === "ok" &&
        (op.input as { txn: string; commit: boolean }).txn === second.name &&
        (op.input as { commit: boolean }).commit,
    );
  return committed ? { session, firstEpoch: epoch, secondEpoch } : null;
}
export const partF = definePart<TransactionModule, KafkaScenario>({
  id: "L3.F",
  title: "Kafka's way",
  points: 20,
  seeds: 120,
  property:
    "read_committed returns every record of each committed transaction once, and nothing of an aborted one, never before its commit; a paused producer's later writes are fenced once its transaction timed out or a newer incarnation began; a produce delayed past its transaction's end opens no transaction and joins no other; every partition's last stable offset reaches its end once faults heal",
  scenario: kafkaScenario,
  describe: describeKafka,
  run: runKafkaWorkload,
});
