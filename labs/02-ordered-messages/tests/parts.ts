/**
 * Lab 02's graded parts: one property each, from routing to fencing to throughput. Each part adds
 * the faults that its mechanism exists to survive.
 */
import fc from "fast-check";
import { applyPlan, describePlan, type FaultPlan, planArb } from "#harness/faults/plan.ts";
import { definePart } from "#harness/grade/define.ts";
import type { OrderingModule } from "./api.ts";
import { serialBaselineWorker } from "./baseline.ts";
import { checkQueues, checkSendsCompleted, rulesOn } from "./checker.ts";
import {
  type ConsumeLoad,
  type ConsumeSetup,
  describeGcPause,
  describeLeave,
  type GcPause,
  type GcPauseMoment,
  PARALLEL_SESSION_CALLS_MAX,
  runConsumeWorkload,
  runStuckKeyWorkload,
  SESSION_CALLS_MAX,
  STUCK_FOR_MS,
} from "./consume.ts";
import { deployBroker, describeTakeover, startInfrastructure, type Takeover } from "./deployment.ts";
import { type KeyStyle, keyStyleArb } from "./keys.ts";
import { describeLateCopies, type LateCopies } from "./late-copies.ts";
import { type ProducerLoad, runLearnerProducers } from "./produce.ts";
import { type RoutingScenario, routingScenario, runRoutingCheck } from "./routing.ts";
import {
  BOUND_FRACTION,
  describeThroughput,
  runThroughputWorkload,
  type ThroughputShape,
  throughputShapeArb,
} from "./throughput.ts";

/** Faults in the single-consumer parts start within this window (L2.C, L2.F). */
const WINDOW_MS = 600;
/**
 * Faults and joins in the group parts start within this window (L2.D, L2.E): longer than a lease,
 * so that some of them come after leases have been granted, renewed, or left to run out.
 */
const GROUP_WINDOW_MS = 1_200;

export const partA = definePart<OrderingModule, RoutingScenario>({
  id: "L2.A",
  title: "routing by sharding key",
  points: 10,
  seeds: 100,
  property:
    "selectQueue depends on the key and the queue count only: always the same queue, a valid one, spread over all queues",
  scenario: routingScenario,
  describe: (s) => [
    `${s.keys.length} keys, queue counts ${s.queueCounts.join(", ")}, and 400 order ids over 3, 5, 6, 8 and 12 queues`,
  ],
  run: runRoutingCheck,
});

// ---------------------------------------------------------------- L2.B producers

interface ProduceScenario {
  load: ProducerLoad;
  plan: FaultPlan;
}

const produceScenario: fc.Arbitrary<ProduceScenario> = fc
  .record({
    load: fc.record({
      producers: fc.integer({ min: 1, max: 2 }),
      producersPerNode: fc.integer({ min: 1, max: 2 }),
      keyStyle: keyStyleArb,
      queueCount: fc.integer({ min: 1, max: 6 }),
      keysPerProducer: fc.integer({ min: 1, max: 4 }),
      messagesPerKey: fc.integer({ min: 2, max: 8 }),
      window: fc.integer({ min: 1, max: 4 }),
      gapMs: fc.integer({ min: 0, max: 3 }),
    }),
    plan: planArb({
      nodes: ["p1", "p2", "broker"],
      networkNodes: ["p1", "p2", "broker"],
      windowMs: 150,
      // The broker's disk fails too: an fsync error or a full disk makes it answer a send with
      // `error` (nothing appended), which a producer must retry like a timeout, not skip or report.
      kinds: ["crash", "powerLoss", "partition", "blockLink", "fsyncFails", "diskFull"],
      eventsMin: 1,
      eventsMax: 4,
      // Long enough to outlast a retry budget of a few timeouts: a send must not give up.
      outageMsMax: 400,
      netRatesMax: { dropRate: 0.2, duplicateRate: 0.2, reorderRate: 0.3 },
    }),
  })
  .map((s) => ({
    ...s,
    plan: {
      ...s.plan,
      events: s.plan.events
        .filter((e) => !("node" in e) || e.node !== "p2" || s.load.producers > 1)
        // Producers keep nothing on disk: a disk fault is aimed at the broker's.
        .map((e) => (e.kind === "fsyncFails" || e.kind === "diskFull" ? { ...e, node: "broker" } : e)),
    },
  }));

/**
 * Once every fault has healed, a live producer's sends complete within milliseconds; a send still
 * pending this long after is stuck for good (a gap in its stream that nothing will fill).
 */
const SENDS_SETTLE_MS = 5_000;

export const partB = definePart<OrderingModule, ProduceScenario>({
  id: "L2.B",
  title: "retries without reordering or duplication",
  points: 20,
  seeds: 130,
  property:
    "through lost, duplicated and delayed requests, partitions, crashes and the broker's disk failing, each acknowledged message is stored once, every key in one queue, in the order its sends were called; no send is rejected while its process lives, and every send completes once the faults heal (also with two producers in one process)",
  scenario: produceScenario,
  describe: (s) => [
    ...describePlan(s.plan),
    `workload: ${s.load.producers} producer node(s), each opening ${s.load.producersPerNode} producer(s) and sending ${s.load.keysPerProducer} key(s) (${s.load.keyStyle} names) x ${s.load.messagesPerKey} messages, up to ${s.load.window} sends in flight, to ${s.load.queueCount} queue(s)`,
  ],
  run: async (ctx, scenario) => {
    const { world, history } = ctx;
    const deployment = deployBroker(ctx, scenario.load.queueCount, false);
    await startInfrastructure(ctx, deployment);
    const faults = applyPlan(world, scenario.plan, history);
    await runLearnerProducers(ctx, scenario.load, () => faults.endMs + SENDS_SETTLE_MS);
    const sends = history.ops.filter((op) => op.f === "send");
    const queues = await deployment.readAllQueues();
    const broken = checkQueues(sends, queues);
    return broken.length > 0 ? broken : checkSendsCompleted(sends);
  },
});

// ---------------------------------------------------------------- consumers

interface ConsumeScenario {
  load: ConsumeLoad;
  consumers: number;
  /** When consumers 2, 3, ... start (consumer 1 starts at once). */
  joinAtMs: number[];
  /** L2.E: a GC pause inside a handler call (see consume.ts). */
  gcPause: GcPause | null;
  plan: FaultPlan;
  /** L2.D, L2.E: when c1's consumer is closed while the topic is busy (scaling down), if at all. */
  leaveAtMs: number | null;
  /** L2.C, L2.F: some of c1's commits reach the broker again, late (late-copies.ts), if at all. */
  lateCopies: LateCopies | null;
}

/**
 * The longest a slow handler call takes. It stays well below TIMING.lockSafetyMarginMs: a correct
 * consumer that starts a message just before its lease estimate ends must still finish it before
 * the broker's lease does, or even the reference would overlap with the next owner in L2.D (where
 * the ledger does not check tokens).
 */
const SLOW_MS_MAX = 150;

/** The most queues a consume scenario's topic has. */
const QUEUES_MAX = 6;

interface ScenarioOptions {
  consumers: [number, number];
  kinds: Parameters<typeof planArb>[0]["kinds"];
  outageMsMax: number;
  nodes: (consumers: number) => string[];
  /** Faults start within this window. */
  windowMs: number;
  /** Add a GC pause inside a handler call (L2.E). */
  gcPause?: boolean;
  /** Close c1's consumer mid-run in some runs (the group parts). */
  leave?: boolean;
  /** Deliver some of c1's commits again, late, in some runs (the single-consumer parts). */
  lateCopies?: boolean;
}

function consumeScenario(options: ScenarioOptions): fc.Arbitrary<ConsumeScenario> {
  return fc.integer({ min: options.consumers[0], max: options.consumers[1] }).chain((consumers) =>
    fc.record({
      load: fc.record({
        keys: fc.integer({ min: 1, max: 10 }),
        keyStyle: keyStyleArb,
        messagesPerKey: fc.integer({ min: 4, max: 12 }),
        queueCount: fc.integer({ min: 1, max: QUEUES_MAX }),
        produceGapMs: fc.integer({ min: 0, max: 3 }),
        behaviour: fc.record({
          processingMs: fc.integer({ min: 5, max: 25 }),
          slowRate: fc.constantFrom(0.2, 0.4, 0.6),
          slowMs: fc.constantFrom(60, 90, 120, SLOW_MS_MAX),
          failureRate: fc.constantFrom(0, 0.1, 0.3),
        }),
      }),
      consumers: fc.constant(consumers),
      gcPause: options.gcPause ? gcPauseArb(consumers) : fc.constant(null),
      joinAtMs: fc.array(fc.constantFrom(...joinTimes(options.windowMs)), {
        minLength: consumers - 1,
        maxLength: consumers - 1,
      }),
      plan: planArb({
        nodes: options.nodes(consumers),
        networkNodes: ["broker", "ledger", ...consumerNames(consumers)],
        windowMs: options.windowMs,
        kinds: options.kinds,
        eventsMin: 1,
        eventsMax: 5,
        outageMsMax: options.outageMsMax,
        netRatesMax: { dropRate: 0.1, duplicateRate: 0.1, reorderRate: 0.2 },
      }),
      // Drawn last, so that adding it left every other field of a seed as it was.
      leaveAtMs: options.leave
        ? fc.option(fc.constantFrom(...joinTimes(options.windowMs).slice(1)), { nil: null, freq: 2 })
        : fc.constant(null),
      // Drawn after leaveAtMs, for the same reason.
      lateCopies: options.lateCopies ? fc.option(lateCopiesArb, { nil: null, freq: 2 }) : fc.constant(null),
    }),
  );
}

/**
 * Late copies of commits: every commit to every third one, each held up for its own time of up to
 * 100 to 400 ms. A copy matters when it lands after the worker's last commit of a stretch, which is
 * why the delays reach well past the time between two commits; the liveness check's second of
 * grace starts once the last copy has landed.
 */
const lateCopiesArb: fc.Arbitrary<LateCopies> = fc.record({
  every: fc.integer({ min: 1, max: 3 }),
  delayMsMax: fc.constantFrom(100, 200, 400),
});

/**
 * A GC pause inside one of the first handler calls of a consumer, long enough for the group to drop
 * the consumer (TIMING.sessionMs) and its lease to run out (TIMING.lockLeaseMs), so that another
 * consumer takes its queue before it wakes up and writes.
 */
function gcPauseArb(consumers: number): fc.Arbitrary<GcPause> {
  return fc.record({
    node: fc.integer({ min: 1, max: consumers }).map((i) => `c${i}`),
    call: fc.integer({ min: 1, max: 24 }),
    forMs: fc.integer({ min: 800, max: 1_500 }),
    moment: fc.constantFrom<GcPauseMoment>("beforeEffect", "afterEffect"),
    clockStops: fc.boolean(),
  });
}

/**
 * The times a later consumer may join: spread evenly over the window. (Drawn with constantFrom, not
 * integer, whose bias towards small values would make nearly every member join at once.)
 */
function joinTimes(windowMs: number): number[] {
  return Array.from({ length: 9 }, (_, i) => Math.round((windowMs * i) / 8));
}

function consumerNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `c${i + 1}`);
}

/**
 * The scenario in words. The handler's failures are told by cause, every one the harness injects:
 * its own random ones, the ledger write that gets no answer (the ledger is on the faulty network),
 * and, where the ledger checks tokens, the refusal of a stale one.
 */
function describeConsume(s: ConsumeScenario, ledger: "fencing" | "unchecked" = "unchecked"): string[] {
  const { keys, messagesPerKey, queueCount, behaviour } = s.load;
  const joins = s.joinAtMs.map((atMs, i) => `c${i + 2} at ${atMs} ms`).join(", ");
  const percent = (rate: number) => `${(rate * 100).toFixed(0)}%`;
  const slow = behaviour.slowRate > 0 ? ` (${percent(behaviour.slowRate)} of them ${behaviour.slowMs} ms)` : "";
  const random = behaviour.failureRate > 0 ? `${percent(behaviour.failureRate)} of the time at random, and ` : "";
  const fenced = ledger === "fencing" ? "; it throws FencedError when the ledger refuses a stale token" : "";
  return [
    ...(s.gcPause ? [describeGcPause(s.gcPause)] : []),
    ...(s.leaveAtMs !== null ? [describeLeave(s.leaveAtMs)] : []),
    ...(s.lateCopies !== null ? [describeLateCopies(s.lateCopies)] : []),
    ...describePlan(s.plan),
    `workload: ${keys} key(s) (${s.load.keyStyle} names) x ${messagesPerKey} messages over ${queueCount} queue(s); ` +
      `${s.consumers} consumer(s)${joins ? `: c1 starts at once, ${joins}` : ""}; ` +
      `each handler call takes ${behaviour.processingMs} ms${slow}; it throws TransientFailure ${random}whenever its write to the ledger gets no answer${fenced}`,
  ];
}

function consumePart(
  setup: Omit<ConsumeSetup, "joinAtMs">,
): (ctx: Parameters<typeof runConsumeWorkload>[0], s: ConsumeScenario) => ReturnType<typeof runConsumeWorkload> {
  return (ctx, s) =>
    runConsumeWorkload(
      ctx,
      s.load,
      {
        ...setup,
        consumers: s.consumers,
        joinAtMs: s.joinAtMs,
        ...(s.gcPause ? { gcPause: s.gcPause } : {}),
        ...(s.leaveAtMs !== null ? { leaveAtMs: s.leaveAtMs } : {}),
        ...(s.lateCopies !== null ? { lateCopies: s.lateCopies } : {}),
      },
      s.plan,
    );
}

/** L2.C and L2.F: one consumer, whose node and the broker's crash or lose power. */
const oneConsumerUnderCrashes = consumeScenario({
  consumers: [1, 1],
  kinds: ["crash", "powerLoss"],
  outageMsMax: 100,
  nodes: () => ["c1", "broker"],
  windowMs: WINDOW_MS,
  lateCopies: true,
});

/** L2.D and L2.E: two or three consumers in one group, joining over the longer window. */
function groupScenario(faults: Pick<ScenarioOptions, "kinds" | "outageMsMax" | "nodes" | "gcPause">) {
  return consumeScenario({ consumers: [2, 3], windowMs: GROUP_WINDOW_MS, leave: true, ...faults });
}

/** L2.D and L2.E: the learner's consumers (two at first) running the learner's orderly worker. */
const orderlyGroup = { consumers: 2, mode: "group", worker: (impl: OrderingModule) => impl.runOrderlyQueue } as const;

export const partC = definePart<OrderingModule, ConsumeScenario>({
  id: "L2.C",
  title: "orderly consumption of a queue",
  points: 20,
  seeds: 120,
  property:
    "one message in flight per queue; a failing message is retried in place, never skipped or overtaken; offsets pass only processed messages, so a crash causes at most a rewind; once the queue is quiet, the committed offset reaches its end",
  scenario: oneConsumerUnderCrashes,
  describe: describeConsume,
  run: consumePart({
    consumers: 1,
    mode: "worker",
    worker: (impl) => impl.runOrderlyQueue,
    fencing: false,
    rules: rulesOn("oneInFlightPerQueue"),
  }),
});

export const partD = definePart<OrderingModule, ConsumeScenario>({
  id: "L2.D",
  title: "rebalancing with queue locks",
  points: 20,
  seeds: 120,
  property:
    "a consumer processes a queue only while it holds its lock (each handler call starts, and its effect lands, inside its lease at the broker), renews it, and releases a queue only after its in-flight message is done: never two consumers on one queue; close(), also while busy, returns only once its messages in flight are done, and then the consumer locks and processes nothing",
  scenario: groupScenario({
    kinds: ["crash", "partition", "blockLink"],
    outageMsMax: 1_000,
    nodes: (n) => [...consumerNames(n), "broker"],
  }),
  describe: describeConsume,
  run: consumePart({
    ...orderlyGroup,
    fencing: false,
    rules: rulesOn("oneInFlightPerQueue", "releaseAfterDrain", "workUnderLease"),
  }),
});

/**
 * L2.E's two kinds of run. "group": the learner's consumers, paused and skewed, under a ledger that
 * checks tokens. "takeover": the harness's consumer runs the learner's orderly worker, and one of its
 * sessions loses its queue without being told (deployment.ts, Takeover): whatever the lease, the
 * worker must stop on the first `fenced` answer it gets.
 */
type FencingScenario =
  | ({ kind: "group" } & ConsumeScenario)
  | ({ kind: "takeover"; takeover: Takeover } & ConsumeScenario);

/** A takeover during one of a session's first `callsMax` handler calls. */
function takeoverArb(callsMax: number): fc.Arbitrary<Takeover> {
  return fc.record({
    atCall: fc.integer({ min: 1, max: callsMax }),
    moment: fc.constantFrom<Takeover["moment"]>("callStarts", "callEnds"),
  });
}

/**
 * The consumer's node may crash (a new incarnation starts over, and may be overtaken again), but
 * the broker does not: after a restart it grants no lock for a whole lease, and the takeover would
 * wait that long, while the old session worked on as the queue's only owner.
 */
const oneConsumerOvertaken = consumeScenario({
  consumers: [1, 1],
  kinds: ["crash"],
  outageMsMax: 100,
  nodes: () => ["c1"],
  windowMs: WINDOW_MS,
});

/** One consumer (the harness's), running a worker that one takeover overtakes. */
function takeoverScenario(callsMax: number) {
  return fc
    .record({ scenario: oneConsumerOvertaken, takeover: takeoverArb(callsMax) })
    .map(({ scenario, takeover }) => ({ kind: "takeover" as const, takeover, ...scenario }));
}

/** A takeover run: the harness's consumer, a fencing ledger, `worker` the learner's. */
function runTakeover(
  worker: (impl: OrderingModule) => QueueWorkerOf,
  rules: ReturnType<typeof rulesOn>,
  sessionCallsMax?: number,
) {
  return (ctx: Parameters<typeof runConsumeWorkload>[0], s: ConsumeScenario & { takeover: Takeover }) =>
    runConsumeWorkload(
      ctx,
      s.load,
      {
        consumers: 1,
        joinAtMs: [],
        mode: "worker",
        worker,
        fencing: true,
        rules,
        takeover: s.takeover,
        ...(sessionCallsMax === undefined ? {} : { sessionCallsMax }),
      },
      s.plan,
    );
}

type QueueWorkerOf = ReturnType<ConsumeSetup["worker"]>;

const fencedGroup = consumePart({
  ...orderlyGroup,
  fencing: true,
  rules: rulesOn("oneInFlightPerQueue", "fencedLedger", "releaseAfterDrain"),
});

export const partE = definePart<OrderingModule, FencingScenario>({
  id: "L2.E",
  title: "fencing paused and skewed consumers",
  points: 20,
  seeds: 120,
  property:
    "a consumer that freezes past its lease, or whose clock is wrong, never gets an effect accepted after the queue's new owner has written one, nor a commit after the new owner locked the queue: every effect and every commit carries the lock's fencing token; a worker told its token is stale (FencedError, or a commit answered fenced) returns at once, without retrying and without committing, even while its session still looks active",
  scenario: fc.oneof(
    {
      weight: 2,
      arbitrary: groupScenario({
        kinds: ["pause", "skew", "drift", "crash", "partition"],
        outageMsMax: 1_500,
        nodes: (n) => consumerNames(n),
        gcPause: true,
      }).map((s) => ({ kind: "group" as const, ...s })),
    },
    { weight: 1, arbitrary: takeoverScenario(SESSION_CALLS_MAX - 1) },
  ),
  describe: (s) =>
    s.kind === "group"
      ? describeConsume(s, "fencing")
      : [describeTakeover(s.takeover), ...describeConsume(s, "fencing")],
  run: (ctx, s) =>
    s.kind === "group"
      ? fencedGroup(ctx, s)
      : runTakeover((impl) => impl.runOrderlyQueue, rulesOn("oneInFlightPerQueue", "fencedLedger"))(ctx, s),
});

// ---------------------------------------------------------------- L2.F throughput

type ParallelScenario =
  | ({ kind: "throughput" } & ThroughputShape)
  | { kind: "stuck key"; keyStyle: KeyStyle }
  | ({ kind: "faults" } & ConsumeScenario)
  | ({ kind: "takeover"; takeover: Takeover } & ConsumeScenario);

export const partF = definePart<OrderingModule, ParallelScenario>({
  id: "L2.F",
  title: "throughput: keys in parallel, each key in order",
  points: 10,
  seeds: 64,
  property: `messages of different keys run at the same time (when one key is slow, the others go on: at least ${BOUND_FRACTION * 100}% of the best speed-up over one-at-a-time that a key-ordered worker can reach), and a failing key holds back only itself; messages of one key never overlap and stay in order, and the committed offset never passes an unfinished message; told that its token is stale (FencedError, or a commit answered fenced), the worker stops every key at once`,
  scenario: fc.oneof(
    { weight: 1, arbitrary: throughputShapeArb.map((s) => ({ kind: "throughput" as const, ...s })) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("stuck key" as const), keyStyle: keyStyleArb }) },
    { weight: 2, arbitrary: oneConsumerUnderCrashes.map((s) => ({ kind: "faults" as const, ...s })) },
    { weight: 1, arbitrary: takeoverScenario(PARALLEL_SESSION_CALLS_MAX - 4) },
  ),
  describe: (s) => {
    switch (s.kind) {
      case "throughput":
        return [describeThroughput(s)];
      case "stuck key":
        return [
          `a stuck key: 96 messages over 16 keys (${s.keyStyle} key names) in one queue, 10 ms each; every attempt on the first key fails for ${STUCK_FOR_MS} ms`,
        ];
      case "faults":
        return describeConsume(s);
      case "takeover":
        return [describeTakeover(s.takeover), ...describeConsume(s, "fencing")];
    }
  },
  run: (ctx, s) => {
    switch (s.kind) {
      case "throughput":
        return runThroughputWorkload(ctx, serialBaselineWorker, s);
      case "stuck key":
        return runStuckKeyWorkload(ctx, s.keyStyle);
      case "faults":
        return keyParallelUnderCrashes(ctx, s);
      case "takeover":
        return keyParallelOvertaken(ctx, s);
    }
  },
});

/** L2.F's fault runs: the key-parallel worker as the only consumer, as L2.C runs the orderly one. */
const keyParallelUnderCrashes = consumePart({
  consumers: 1,
  mode: "worker",
  worker: (impl) => impl.runKeyParallelQueue,
  sessionCallsMax: PARALLEL_SESSION_CALLS_MAX,
  fencing: false,
  rules: rulesOn(),
});

/** L2.F's takeover runs: the key-parallel worker, overtaken without being told, must stop when fenced. */
const keyParallelOvertaken = runTakeover(
  (impl) => impl.runKeyParallelQueue,
  rulesOn("fencedLedger"),
  PARALLEL_SESSION_CALLS_MAX,
);
