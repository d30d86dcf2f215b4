/**
 * L2.F's throughput test: why key-parallel consumption exists. One slow message holds back a whole
 * queue when the queue runs one message at a time; run keys side by side and it holds back its own
 * key only. The handler's time varies by key, drawn per seed: one slow key among fast ones.
 *
 * The grader's one-at-a-time worker (baseline.ts) consumes the queue, then the learner's
 * key-parallel worker does, same messages, same handler. No worker that keeps each key in order can
 * finish before the slow key's chain (its messages one after another), so the best ratio for the
 * shape is the baseline's time over that chain. The bound is a fraction of that best ratio, set
 * below the fraction the reference reaches on every one of 5,000 seeds: all in simulated time, so
 * the grade is the same on every machine.
 */
import fc from "fast-check";
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { formatValue, type Op } from "#harness/workloads/history.ts";
import type { QueueWorker } from "#labs/02-ordered-messages/provided.ts";
import type { OrderingModule } from "./api.ts";
import { type ConsumeLoad, consumeAll, consumeKeyParallel, fillQueue } from "./consume.ts";
import { type KeyStyle, keyName, keyStyleArb } from "./keys.ts";

export interface ThroughputShape {
  keyStyle: KeyStyle;
  keys: number;
  messagesPerKey: number;
  /** Key number (1-based) whose messages are slow. */
  slowKey: number;
  slowMs: number;
  /** Processing time of each key's messages, by key number - 1 (the slow key's entry is unused). */
  fastMs: number[];
}

/** The most keys drawn: no more than a worker may run at once (the contract allows 16). */
const KEYS_MAX = 16;
/** Fast keys take 3 to 24 ms a message; the slow one 36 to 90 ms, so its chain is the floor. */
const FAST_MS_MAX = 24;

export const throughputShapeArb: fc.Arbitrary<ThroughputShape> = fc
  .record({
    keyStyle: keyStyleArb,
    keys: fc.integer({ min: 12, max: KEYS_MAX }),
    messagesPerKey: fc.integer({ min: 4, max: 8 }),
    slowKey: fc.integer({ min: 1, max: KEYS_MAX }),
    slowMs: fc.integer({ min: 36, max: 90 }),
    fastMs: fc.array(fc.integer({ min: 3, max: FAST_MS_MAX }), { minLength: KEYS_MAX, maxLength: KEYS_MAX }),
  })
  .map((s) => ({ ...s, slowKey: ((s.slowKey - 1) % s.keys) + 1, fastMs: s.fastMs.slice(0, s.keys) }));

/**
 * The reference's worst fraction of the best ratio over 5,000 seeds (deep-check, see the guide),
 * and the bound, with a margin below it.
 */
export const REFERENCE_FRACTION = 0.9;
export const BOUND_FRACTION = 0.85;

function msOfKey(shape: ThroughputShape, n: number): number {
  return n === shape.slowKey ? shape.slowMs : (shape.fastMs[n - 1] ?? 1);
}

function throughputLoad(shape: ThroughputShape): ConsumeLoad {
  const keyMs = new Map<string, number>();
  for (let n = 1; n <= shape.keys; n++) keyMs.set(keyName(shape.keyStyle, n), msOfKey(shape, n));
  return {
    keys: shape.keys,
    keyStyle: shape.keyStyle,
    messagesPerKey: shape.messagesPerKey,
    queueCount: 1,
    produceGapMs: 0,
    behaviour: { processingMs: 10, slowRate: 0, slowMs: 10, failureRate: 0, keyMs },
  };
}

function fastRange(shape: ThroughputShape): [number, number] {
  const fast = shape.fastMs.filter((_, i) => i + 1 !== shape.slowKey);
  return [Math.min(...fast), Math.max(...fast)];
}

export function describeThroughput(shape: ThroughputShape): string {
  const [low, high] = fastRange(shape);
  const total = shape.keys * shape.messagesPerKey;
  return `throughput: ${total} messages over ${shape.keys} keys (${shape.keyStyle} key names) in one queue, ${shape.messagesPerKey} per key; key number ${shape.slowKey} takes ${shape.slowMs} ms a message, the others ${low}–${high} ms; the one-at-a-time worker first, then yours (bound: ${BOUND_FRACTION * 100}% of the best ratio a key-ordered worker can reach)`;
}

/** Most messages in flight at once, and on average over the run (their summed time over the run's). */
function concurrency(ops: readonly Op[], elapsedMs: number): { most: number; mean: number } {
  const edges = ops.flatMap((op) => [
    { atMs: op.invokedAtMs, delta: 1 },
    { atMs: op.completedAtMs ?? op.invokedAtMs, delta: -1 },
  ]);
  edges.sort((a, b) => a.atMs - b.atMs || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const edge of edges) {
    now += edge.delta;
    most = Math.max(most, now);
  }
  const busyMs = ops.reduce((sum, op) => sum + ((op.completedAtMs ?? op.invokedAtMs) - op.invokedAtMs), 0);
  return { most, mean: elapsedMs > 0 ? busyMs / elapsedMs : 0 };
}

const ms = (value: number): string => `${Math.round(value).toLocaleString("en-US")} ms`;

export async function runThroughputWorkload(
  ctx: TestContext<OrderingModule>,
  baseline: QueueWorker,
  shape: ThroughputShape,
): Promise<Anomaly[]> {
  const load = throughputLoad(shape);
  const deployment = await fillQueue(ctx, load);
  const base = await consumeAll(ctx, deployment, load, { name: "base", group: "base", worker: () => baseline });
  const { learner, acked, broken } = await consumeKeyParallel(ctx, deployment, load);
  if (broken.length > 0) return broken;
  const chainMs = shape.messagesPerKey * shape.slowMs;
  const bestRatio = base.elapsedMs / chainMs;
  const ratio = base.elapsedMs / learner.elapsedMs;
  const boundRatio = BOUND_FRACTION * bestRatio;
  if (ratio >= boundRatio) return [];
  const slowKey = keyName(shape.keyStyle, shape.slowKey);
  const [low, high] = fastRange(shape);
  const first = Math.min(...learner.ops.map((op) => op.invokedAtMs));
  const fastOps = learner.ops.filter((op) => (op.input as { key: string }).key !== slowKey);
  const fastDoneMs = Math.max(...fastOps.map((op) => op.completedAtMs ?? op.invokedAtMs)) - first;
  const { most, mean } = concurrency(learner.ops, learner.elapsedMs);
  const slowOps = learner.ops.filter((op) => (op.input as { key: string }).key === slowKey).slice(0, 2);
  return [
    anomaly(
      "too slow",
      `${acked.size} messages over ${shape.keys} keys took ${ms(learner.elapsedMs)} of simulated time with your worker; the one-at-a-time worker took ${ms(base.elapsedMs)}: ${ratio.toFixed(2)}x. Key ${formatValue(slowKey)} takes ${shape.slowMs} ms a message, the other ${shape.keys - 1} keys ${low}–${high} ms, so no worker that keeps each key in order can finish before the slow key's ${shape.messagesPerKey} messages one after another, ${ms(chainMs)}: at best ${bestRatio.toFixed(2)}x. The reference reaches at least ${REFERENCE_FRACTION * 100}% of that on 5,000 seeds (${(REFERENCE_FRACTION * bestRatio).toFixed(2)}x here); the bound is ${BOUND_FRACTION * 100}%, ${boundRatio.toFixed(2)}x. One slow key held back the others: your worker had at most ${most} messages in flight at once (${mean.toFixed(1)} on average), and the fast keys' last message was done ${ms(fastDoneMs)} after the first began, though each fast key alone needs at most ${ms(shape.messagesPerKey * high)}. Start a message as soon as the previous message of its key is done, whatever the other keys are doing: no window of offsets, no barrier, no pool smaller than the keys.`,
      slowOps,
    ),
  ];
}
