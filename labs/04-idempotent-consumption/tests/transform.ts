/**
 * L4.F's workload (docs/design/lab-04.md, section 3.6): consume-transform-produce on the shared
 * broker's Kafka side, with lab 03's reference coordinator and partition states inside it.
 *
 *   p1 (harness, transactional) --orders-in (3 partitions)--> broker <--fetch read_committed,
 *       produceTxn payments, txnOffsetCommit, endTxn, joinGroup, heartbeat-- t1, t2 (t3): the learner's runTransformer
 *   reader (after the heal) --fetch read_committed orders-in and payments, raw payments, offsetFetch--> broker
 *
 * Timeline: broker up; t1 up, then t2 (and t3 in some seeds) a few ms apart; fault plans applied;
 * p1 writes 10 to 30 records in small transactions (some aborted); faults heal; up to 1.5 s for the
 * transformers to catch up; the reader reads everything; the checker (check-transform.ts) judges.
 *
 * Hazards, besides the plan's crashes (of transformers, right after one of their sends; of the
 * broker, which recovers prepared transactions) and the network's losses, duplicates and reorders:
 * - the zombie: t1 is paused for 200 to 400 ms (past TIMING.kafkaSessionMs) right after it has
 *   produced outputs and before it commits their offsets (the k-th time it gets there). The group
 *   drops it and gives its partitions to the others, who redo its records; t1 wakes and carries on
 *   with its transaction as if nothing happened;
 * - scripted crashes: a transformer is killed right after it sends its n-th request of one kind
 *   (produceTxn, addOffsetsToTxn, txnOffsetCommit, endTxn, offsetCommit), then restarted;
 * - scripted lost replies (in some seeds): the replies to a transformer's n-th send of one step
 *   of a transaction and to the next few sends of that kind never come back, though every one
 *   reached the broker. A transformer that gives up on the request has to abort while its
 *   session is still alive, and the committed offsets, not its positions, say where to go on;
 * - scripted store errors (in some seeds): the broker answers a transformer's n-th produceTxn or
 *   txnOffsetCommit with `error` (its store failed), having stored it or not (the protocol allows
 *   both): the transaction fails while the member's session is alive, whatever the transformer's
 *   retries and heartbeats.
 *
 * The transformers' requests pass through a recording client: every request but fetch and
 * heartbeat is an operation in the history (so a report names who did what), and the two hazards
 * above are triggered there.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { applyAllPlans } from "#harness/faults/apply-all.ts";
import { describePlan, type FaultPlan, ordinal, planArb } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { Op } from "#harness/workloads/history.ts";
import type { Env, RequestOutcome } from "#lab";
import { assembleKafka } from "#labs/03-transactional-messages/provided.ts";
import { openCoordinator } from "#labs/03-transactional-messages/solution/coordinator.ts";
import { openPartitionState, readCommitted } from "#labs/03-transactional-messages/solution/partition-state.ts";
import { type Broker, defaultBrokerConfig, openBroker } from "#labs/shared/broker/broker.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type { GroupEvent } from "#labs/shared/broker/kafka/groups.ts";
import { openLogStore } from "#labs/shared/broker/log-store.ts";
import type { BrokerRequest, LogEntry, ReplyOf } from "#labs/shared/broker/protocol.ts";
import { INPUT_TOPIC, OUTPUT_TOPIC, sourceOf, TIMING, TRANSFORM_GROUP } from "../provided.ts";
import type { ConsumptionModule } from "./api.ts";
import { checkTransform, type Placed, type TransformEvidence } from "./check-transform.ts";
import { BROKER } from "./deployment.ts";

export const TRANSFORMERS = ["t1", "t2", "t3"] as const;
const PRODUCER = "p1";
const READER = "reader";
const PARTITIONS = 3;
/**
 * After the heal: how long the transformers have to catch up (their offsets past every input) and
 * every output transaction to end: the longest pause, then the transaction timeout and its scan.
 */
const SETTLE_MAX_MS = 1_500;
/** Once settled: a little longer, for a request still on its way. */
const SETTLE_MS = 50;

/** The requests a scripted crash may follow. */
const CRASH_AFTER = ["produceTxn", "addOffsetsToTxn", "txnOffsetCommit", "endTxn", "endTxn", "offsetCommit"] as const;
type CrashAfter = (typeof CRASH_AFTER)[number];

export interface ScriptedCrash {
  node: string;
  request: CrashAfter;
  nth: number;
  downMs: number;
}

/** The transactional requests a scripted loss of replies may follow. */
const LOSE_REPLIES_TO = ["produceTxn", "addOffsetsToTxn", "txnOffsetCommit", "endTxn"] as const;
type LoseRepliesTo = (typeof LOSE_REPLIES_TO)[number];

export interface ScriptedLoss {
  node: string;
  request: LoseRepliesTo;
  /** The first send whose reply is lost: the node's `nth` of that kind (resends count). */
  nth: number;
  /** How many sends of that kind in a row lose their reply, from the `nth`. */
  inARow: number;
  /**
   * No zombie and no scripted crash in this run. Either rebalances the group, and a rejoin reads
   * the committed offsets again, which would hide a transformer that keeps its positions after an
   * abort (swarm testing: the rare case is not drowned by the others).
   */
  alone: boolean;
}

/** A transactional request the broker may answer with a store error. */
const STORE_ERROR_ON = ["produceTxn", "txnOffsetCommit"] as const;

export interface ScriptedStoreError {
  node: string;
  request: (typeof STORE_ERROR_ON)[number];
  /** The node's `nth` send of that kind (resends count) is answered `error`. */
  nth: number;
  /** No zombie and no scripted crash in this run (as ScriptedLoss.alone). */
  alone: boolean;
  /** The request reached the store before it failed (a produced batch is in the log), or not at all. */
  stored: boolean;
}

export interface TransformScenario {
  /** p1's transactions: the partition of each record, and whether it commits. */
  inputTxns: { partitions: number[]; commit: boolean; gapMs: number }[];
  /** t3 runs too. */
  third: boolean;
  /** How long after t1 each later transformer starts. */
  startGapsMs: number[];
  /** t1 pauses after producing, before committing offsets, the `nth` time (null: no zombie). */
  zombie: { nth: number; pauseMs: number } | null;
  crashes: ScriptedCrash[];
  plan: FaultPlan;
  /** Drawn last, so that adding it left the other draws of a seed as they were. */
  losses: ScriptedLoss[];
  /** Drawn after the losses, for the same reason. */
  storeErrors: ScriptedStoreError[];
}

/** The faults of a run with `names` transformers: crashes right after a send, a lossy network. */
function planOf(names: readonly string[]): fc.Arbitrary<FaultPlan> {
  return planArb({
    nodes: [...names, BROKER],
    networkNodes: [BROKER, ...names],
    kinds: ["crash"],
    eventsMax: 2,
    windowMs: 500,
    outageMsMax: 150,
    boundaries: ["send"],
    netRatesMax: { dropRate: 0.05, duplicateRate: 0.05, reorderRate: 0.1 },
  });
}

const drawnScenarioArb = fc.boolean().chain((third) =>
  fc.record({
    inputTxns: fc.array(
      fc.record({
        partitions: fc.array(fc.nat(PARTITIONS - 1), { minLength: 1, maxLength: 3 }),
        commit: fc.constantFrom(true, true, true, true, true, false),
        gapMs: fc.integer({ min: 0, max: 40 }),
      }),
      { minLength: 6, maxLength: 14 },
    ),
    third: fc.constant(third),
    startGapsMs: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 2, maxLength: 2 }),
    zombie: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({ nth: fc.integer({ min: 1, max: 3 }), pauseMs: fc.integer({ min: 200, max: 400 }) }),
      },
      { weight: 1, arbitrary: fc.constant(null) },
    ),
    crashes: fc.array(
      fc.record({
        node: fc.constantFrom("t1", "t2"),
        request: fc.constantFrom(...CRASH_AFTER),
        nth: fc.integer({ min: 1, max: 4 }),
        downMs: fc.integer({ min: 20, max: 150 }),
      }),
      { minLength: 0, maxLength: 2 },
    ),
    plan: planOf(third ? TRANSFORMERS : TRANSFORMERS.slice(0, 2)),
    losses: fc.array(
      fc.record({
        node: fc.constantFrom("t1", "t2"),
        request: fc.constantFrom(...LOSE_REPLIES_TO),
        nth: fc.integer({ min: 1, max: 3 }),
        inARow: fc.integer({ min: 2, max: 6 }),
        alone: fc.boolean(),
      }),
      { minLength: 0, maxLength: 1 },
    ),
    storeErrors: fc.array(
      fc.record({
        node: fc.constantFrom("t1", "t2"),
        request: fc.constantFrom(...STORE_ERROR_ON),
        nth: fc.integer({ min: 1, max: 3 }),
        alone: fc.boolean(),
        stored: fc.boolean(),
      }),
      { minLength: 0, maxLength: 1 },
    ),
  }),
);

/** A loss or store error drawn `alone` turns the zombie and the scripted crashes off (ScriptedLoss.alone). */
export const transformScenarioArb: fc.Arbitrary<TransformScenario> = drawnScenarioArb.map((s) =>
  [...s.losses, ...s.storeErrors].some((f) => f.alone) ? { ...s, zombie: null, crashes: [] } : s,
);

export function describeTransform(s: TransformScenario): string[] {
  const records = s.inputTxns.reduce((n, t) => n + t.partitions.length, 0);
  const aborted = s.inputTxns.filter((t) => !t.commit).length;
  return [
    ...describePlan(s.plan),
    `workload: p1 writes ${records} records to ${INPUT_TOPIC} in ${s.inputTxns.length} transactions (${aborted} aborted); ` +
      `${s.third ? "t1, t2 and t3" : "t1 and t2"} transform them into ${OUTPUT_TOPIC} (group ${TRANSFORM_GROUP})`,
    s.zombie === null
      ? "zombie: none"
      : `zombie: t1 pauses ${s.zombie.pauseMs} ms after producing, before committing offsets, the ${ordinal(s.zombie.nth)} time (session ${TIMING.kafkaSessionMs} ms)`,
    ...s.crashes.map(
      (c) =>
        `crash: ${c.node} is killed right after sending its ${ordinal(c.nth)} ${c.request}, restarted ${c.downMs} ms later`,
    ),
    ...s.losses.map(
      (l) =>
        `lost replies: ${l.node} hears nothing back from its ${ordinal(l.nth)} to its ${ordinal(l.nth + l.inARow - 1)} ${l.request} ` +
        `(${l.inARow} sends in a row, resends included), though each reached the broker` +
        (l.alone ? "; no zombie and no scripted crash in this run" : ""),
    ),
    ...s.storeErrors.map(
      (e) =>
        `store error: the broker answers ${e.node}'s ${ordinal(e.nth)} ${e.request} with "error" (its store failed, ${e.stored ? "after storing it" : "storing nothing"})` +
        (e.alone ? "; no zombie and no scripted crash in this run" : ""),
    ),
  ];
}

export async function runTransform(ctx: TestContext<ConsumptionModule>, s: TransformScenario): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const groupEvents: GroupEvent[] = [];
  const broker = world.addNode<Broker>(BROKER, async (env) =>
    openBroker(
      env,
      {
        ...defaultBrokerConfig,
        kafka: {
          partitions: PARTITIONS,
          topics: { [INPUT_TOPIC]: PARTITIONS },
          // On the world's clock, as every other time in a report.
          groups: {
            sessionMs: TIMING.kafkaSessionMs,
            observe: (event) => groupEvents.push({ ...event, atMs: world.nowMs }),
          },
          open: (side) => assembleKafka(side, { openCoordinator, openPartitionState, readCommitted }),
        },
      },
      await openLogStore(env),
    ),
  );
  const started = await broker.start();
  if (started.kind === "error") throw started.error;

  const names = s.third ? TRANSFORMERS : TRANSFORMERS.slice(0, 2);
  const hazards = new Hazards(ctx, s);
  const nodes = names.map((id) => {
    const node: SimNode<Env> = world.addNode<Env>(id, (env) => {
      const client = new RecordingClient(env, hazards, () => node);
      void ctx.implFor(env).runTransformer({ env, client, transactionalId: `tx-${id}`, group: TRANSFORM_GROUP });
      return env;
    });
    return node;
  });
  for (const [i, node] of nodes.entries()) {
    if (i > 0) await world.sleep(s.startGapsMs[i - 1] ?? 0);
    await node.start();
  }
  const faults = applyAllPlans(world, history, s.plan);
  const producer = world.addNode<Env>(PRODUCER, (env) => env);
  await producer.start();
  await produceInputs(ctx, producer, s);
  await faults.healed();

  const reader = world.addNode<Env>(READER, (env) => env);
  await reader.start();
  const read = async <T>(work: (client: BrokerClient) => Promise<T>): Promise<T> => {
    const outcome = await reader.invoke((env) => work(new BrokerClient(env.net, BROKER, 200)));
    if (outcome.kind !== "ok") throw new Error(`the reader could not read: ${outcome.kind}`);
    return outcome.value;
  };
  const inputs: Placed[] = [];
  for (let partition = 0; partition < PARTITIONS; partition++) {
    for (const entry of await read((c) => readAll(c, INPUT_TOPIC, partition, "read_committed"))) {
      if (entry.kind === "data")
        for (const r of entry.records) inputs.push({ partition, offset: entry.offset, key: r.key });
    }
  }
  // Settled once the group's offsets are past every committed input, no transaction is open on
  // `payments` (a zombie's is aborted by its coordinator at the transaction timeout) and no pause
  // or restart is under way: at most SETTLE_MAX_MS.
  const lastOf = [0, 1, 2].map((p) => Math.max(-1, ...inputs.filter((i) => i.partition === p).map((i) => i.offset)));
  const deadlineMs = world.nowMs + SETTLE_MAX_MS;
  let committed: readonly (number | null)[] | "unstable" = "unstable";
  for (;;) {
    committed = await read((c) => committedOffsets(c));
    const offsets = committed;
    const caughtUp = offsets !== "unstable" && lastOf.every((last, p) => last < 0 || (offsets[p] ?? -1) > last);
    if ((caughtUp && !hazards.busy && (await read(outputsStable))) || world.nowMs >= deadlineMs) break;
    await world.sleep(25);
  }
  await world.sleep(SETTLE_MS);
  committed = await read((c) => committedOffsets(c));

  const outputs: TransformEvidence["outputs"][number][] = [];
  const rawOutputs: LogEntry[][] = [];
  for (let partition = 0; partition < PARTITIONS; partition++) {
    for (const entry of await read((c) => readAll(c, OUTPUT_TOPIC, partition, "read_committed"))) {
      if (entry.kind !== "data") continue;
      for (const r of entry.records) outputs.push({ partition, offset: entry.offset, key: r.key, source: sourceOf(r) });
    }
    rawOutputs.push(await read((c) => readAll(c, OUTPUT_TOPIC, partition, "read_uncommitted")));
  }
  hazards.closePending();
  return checkTransform({ inputs, outputs, rawOutputs, committed, groupEvents, ops: history.ops });
}

/** Whether no transaction is open on any `payments` partition (its last stable offset is its end). */
async function outputsStable(c: BrokerClient): Promise<boolean> {
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const reply = await c.call({
      type: "fetch",
      topic: OUTPUT_TOPIC,
      partition,
      offset: 0,
      max: 0,
      isolation: "read_committed",
    });
    if (reply.kind !== "ok" || reply.reply.kind !== "ok") return false;
    if (reply.reply.lastStableOffset < reply.reply.highWatermark) return false;
  }
  return true;
}

/** The group's committed offsets of every input partition, or "unstable" if a transaction holds some. */
async function committedOffsets(c: BrokerClient): Promise<(number | null)[] | "unstable"> {
  for (;;) {
    const reply = await c.call({
      type: "offsetFetch",
      group: TRANSFORM_GROUP,
      topic: INPUT_TOPIC,
      partitions: [0, 1, 2],
    });
    if (reply.kind !== "ok") continue;
    return reply.reply.kind === "ok" ? reply.reply.offsets : "unstable";
  }
}

/** A partition's whole log from 0 (data only for read_committed), retried until answered. */
async function readAll(
  client: BrokerClient,
  topic: string,
  partition: number,
  isolation: "read_committed" | "read_uncommitted",
): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let offset = 0;
  for (;;) {
    const fetched = await client.call({ type: "fetch", topic, partition, offset, max: 64, isolation });
    if (fetched.kind !== "ok" || fetched.reply.kind !== "ok") continue;
    entries.push(...fetched.reply.records);
    if (fetched.reply.nextOffset <= offset) return entries;
    offset = fetched.reply.nextOffset;
  }
}

/**
 * p1: one transactional id, its transactions in order, each record its own batch, every request
 * retried until answered. An unanswered or refused step aborts the transaction (and the aborted
 * records must never be transformed); a fenced or stuck session starts a new one.
 */
async function produceInputs(ctx: TestContext<unknown>, node: SimNode<Env>, s: TransformScenario): Promise<void> {
  const client = await node.invoke((env) => new BrokerClient(env.net, BROKER, TIMING.requestTimeoutMs));
  if (client.kind !== "ok") throw new Error("p1 did not start");
  const call = async <R extends BrokerRequest>(request: R): Promise<ReplyOf[R["type"]] | null> => {
    for (let i = 0; i < 40; i++) {
      const outcome: RequestOutcome<ReplyOf[R["type"]]> = await client.value.call(request);
      if (outcome.kind === "ok" && outcome.reply.kind !== "concurrentTransactions") return outcome.reply;
      await ctx.world.sleep(10);
    }
    return null;
  };
  const init = async () => {
    for (;;) {
      const reply = await call({ type: "initProducerId", transactionalId: "tx-p1" });
      if (reply?.kind === "ok") return { producerId: reply.producerId, epoch: reply.epoch };
    }
  };
  let session = await init();
  let n = 0;
  for (const [t, txn] of s.inputTxns.entries()) {
    await ctx.world.sleep(txn.gapMs);
    const name = `p1/${t + 1}`;
    const op = ctx.history.invoke(PRODUCER, "write", { txn: name, partitions: txn.partitions, commit: txn.commit });
    const { producerId, epoch } = session;
    const sequences = new Map<number, number>();
    let commit = txn.commit;
    const partitions = [...new Set(txn.partitions)];
    const added = await call({
      type: "addPartitionsToTxn",
      transactionalId: "tx-p1",
      producerId,
      epoch,
      topic: INPUT_TOPIC,
      partitions,
    });
    if (added?.kind !== "ok") commit = false;
    const keys: string[] = [];
    for (const partition of added?.kind === "ok" ? txn.partitions : []) {
      const key = `o${++n}`;
      const sequence = sequences.get(partition) ?? 0;
      const produced = await call({
        type: "produceTxn",
        topic: INPUT_TOPIC,
        partition,
        producerId,
        epoch,
        sequence,
        records: [{ key, body: JSON.stringify({ order: key, amountCents: 100 * n }) }],
      });
      if (produced?.kind !== "ok" && produced?.kind !== "duplicate") {
        commit = false;
        break;
      }
      sequences.set(partition, sequence + 1);
      keys.push(key);
    }
    const ended =
      added?.kind === "ok" ? await call({ type: "endTxn", transactionalId: "tx-p1", producerId, epoch, commit }) : null;
    if (ended?.kind === "ok") {
      session = { producerId, epoch: ended.epoch };
      ctx.history.complete(op, "ok", { output: { keys, commit } });
    } else {
      ctx.history.complete(op, "info", { note: "the transaction did not end cleanly; p1 starts a new session" });
      session = await init();
    }
  }
}

/** Requests recorded as operations (fetches and heartbeats are too many to be worth it). */
const UNRECORDED: readonly string[] = ["fetch", "groupHeartbeat"];

/** The zombie pause and the scripted crashes, triggered by what a transformer sends. */
class Hazards {
  private readonly sent = new Map<string, number>();
  private producedSinceCommit = false;
  private commitSteps = 0;
  private readonly pending = new Set<Op>();
  /** Pauses and restarts under way: the run waits for them before it checks. */
  private readonly underWay = new Set<Promise<void>>();

  constructor(
    private readonly ctx: TestContext<unknown>,
    private readonly s: TransformScenario,
  ) {}

  /** Before `request` leaves `node`: the zombie pauses t1 here. */
  async before(node: SimNode<Env>, request: BrokerRequest): Promise<void> {
    const zombie = this.s.zombie;
    if (node.id !== "t1" || zombie === null) return;
    if (request.type === "produceTxn") this.producedSinceCommit = true;
    const commits =
      request.type === "addOffsetsToTxn" ||
      request.type === "txnOffsetCommit" ||
      request.type === "offsetCommit" ||
      request.type === "endTxn";
    if (!commits || !this.producedSinceCommit) return;
    this.producedSinceCommit = false;
    if (++this.commitSteps !== zombie.nth) return;
    this.ctx.history.nemesis(
      `t1 pauses for ${zombie.pauseMs} ms after producing, as it is about to send ${request.type} (a GC pause past its session)`,
    );
    node.pause();
    await this.track(this.ctx.world.sleep(zombie.pauseMs));
    node.resume();
    this.ctx.history.nemesis("t1 wakes up and carries on");
  }

  /** Right after `request` left `node`: a scripted crash. */
  after(node: SimNode<Env>, request: BrokerRequest): void {
    const key = `${node.id}/${request.type}`;
    const count = (this.sent.get(key) ?? 0) + 1;
    this.sent.set(key, count);
    const crash = this.s.crashes.find((c) => c.node === node.id && c.request === request.type && c.nth === count);
    if (crash === undefined || !node.isUp) return;
    this.ctx.history.nemesis(
      `${node.id} is killed right after sending its ${ordinal(count)} ${request.type}; it restarts ${crash.downMs} ms later`,
    );
    node.crash();
    void this.track(
      this.ctx.world.sleep(crash.downMs).then(async () => {
        if (!node.isUp) await node.start();
      }),
    );
  }

  /** Whether the reply to `request`, just sent by `node` (after `after` counted it), is to be lost. */
  losesReply(node: SimNode<Env>, request: BrokerRequest): boolean {
    const count = this.sent.get(`${node.id}/${request.type}`) ?? 0;
    const loss = this.s.losses.find(
      (l) => l.node === node.id && l.request === request.type && count >= l.nth && count < l.nth + l.inARow,
    );
    if (loss === undefined || !node.isUp) return false;
    this.ctx.history.nemesis(
      `the reply to ${node.id}'s ${ordinal(count)} ${request.type} is lost (${ordinal(count - loss.nth + 1)} of ${loss.inARow} in a row)`,
    );
    return true;
  }

  /** The store error `request`, about to leave `node` (before `after` counts it), meets, if any. */
  storeErrorOf(node: SimNode<Env>, request: BrokerRequest): ScriptedStoreError | null {
    const count = (this.sent.get(`${node.id}/${request.type}`) ?? 0) + 1;
    const failure = this.s.storeErrors.find((e) => e.node === node.id && e.request === request.type && e.nth === count);
    if (failure === undefined || !node.isUp) return null;
    const when = failure.stored ? "after storing it" : "before storing anything";
    this.ctx.history.nemesis(
      `the broker's store fails ${node.id}'s ${ordinal(count)} ${request.type} ${when}: it answers "error"`,
    );
    return failure;
  }

  /** Whether a pause or a restart is under way. */
  get busy(): boolean {
    return this.underWay.size > 0;
  }

  private track(work: Promise<unknown>): Promise<void> {
    const done: Promise<void> = work.then(() => {
      this.underWay.delete(done);
    });
    this.underWay.add(done);
    return done;
  }

  record(client: string, request: BrokerRequest): Op | null {
    if (UNRECORDED.includes(request.type)) return null;
    const { type, ...input } = request;
    const op = this.ctx.history.invoke(
      client,
      type,
      "records" in input ? { ...input, records: input.records.map((r) => r.key) } : input,
    );
    this.pending.add(op);
    return op;
  }

  complete(op: Op | null, outcome: RequestOutcome<unknown>): void {
    if (op === null || !this.pending.delete(op)) return;
    if (outcome.kind === "ok") this.ctx.history.complete(op, "ok", { output: outcome.reply });
    else this.ctx.history.complete(op, "info", { note: "no reply in time" });
  }

  closePending(): void {
    for (const op of this.pending)
      this.ctx.history.complete(op, "info", { note: "no reply: its transformer died, or the run ended" });
    this.pending.clear();
  }
}

/** A scripted store error's reply: `error`, which both of STORE_ERROR_ON's requests may answer. */
function storeFailed<TRequest extends BrokerRequest>(): RequestOutcome<ReplyOf[TRequest["type"]]> {
  const reply = { kind: "error", message: "the broker's store failed (scripted)" } as const;
  return { kind: "ok", reply: reply as ReplyOf[TRequest["type"]] };
}

/** The transformer's client: every request through the hazards and into the history. */
class RecordingClient extends BrokerClient {
  constructor(
    private readonly env: Env,
    private readonly hazards: Hazards,
    private readonly node: () => SimNode<Env>,
  ) {
    super(env.net, BROKER, TIMING.requestTimeoutMs);
  }

  override async call<TRequest extends BrokerRequest>(
    request: TRequest,
  ): Promise<RequestOutcome<ReplyOf[TRequest["type"]]>> {
    const node = this.node();
    await this.hazards.before(node, request);
    const op = this.hazards.record(this.env.nodeId, request);
    const sentAtMs = this.env.clock.now();
    const failure = this.hazards.storeErrorOf(node, request);
    // Failing before it stores anything, the broker only answers (a round trip's time later).
    const pending = failure?.stored === false ? this.env.clock.sleep(2).then(() => null) : super.call(request);
    this.hazards.after(node, request);
    const lost = this.hazards.losesReply(node, request);
    let outcome = (await pending) ?? storeFailed<TRequest>();
    if (failure !== null && outcome.kind === "ok") outcome = storeFailed<TRequest>();
    if (lost) {
      // The request did its work on the broker; its sender learns nothing, after its full timeout.
      await this.env.clock.sleep(Math.max(0, sentAtMs + this.timeoutMs - this.env.clock.now()));
      outcome = { kind: "maybe", reason: "timeout" };
    }
    this.hazards.complete(op, outcome);
    return outcome;
  }
}
