/**
 * L2.A's check: routing is a function of the key and the queue count, and spreads keys.
 *
 * The learner's selectQueue runs inside a node (so the determinism guard sees any reach for
 * Math.random or the clock), in two incarnations, twice in each, and must give the same answers
 * every time; the answers must be queue numbers; and realistic keys must spread over the queues.
 */
import fc from "fast-check";
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { rethrowFrom } from "#harness/grade/verdict.ts";
import type { Env } from "#lab";
import type { OrderingModule } from "./api.ts";

export interface RoutingScenario {
  keys: string[];
  queueCounts: number[];
}

export const routingScenario: fc.Arbitrary<RoutingScenario> = fc.record({
  keys: fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 6 }), fc.uuid()), {
    minLength: 1,
    maxLength: 30,
  }),
  queueCounts: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
});

/** Keys shaped like real order ids, to check the spread. */
const SPREAD_KEYS = Array.from({ length: 400 }, (_, i) => `order-${100_000 + i}`);
/** Queue counts the spread is checked for: not only powers of two, which a bit mask would pass. */
const SPREAD_QUEUE_COUNTS = [3, 5, 6, 8, 12];

export async function runRoutingCheck(ctx: TestContext<OrderingModule>, scenario: RoutingScenario): Promise<Anomaly[]> {
  const { world, impl } = ctx;
  const node = world.addNode<Env>("p1", (env) => env);
  const table = (): Promise<number[]> =>
    node
      .invoke(() => {
        const out: number[] = [];
        for (const count of scenario.queueCounts)
          for (const key of scenario.keys) out.push(impl.selectQueue(key, count));
        for (const count of SPREAD_QUEUE_COUNTS) for (const key of SPREAD_KEYS) out.push(impl.selectQueue(key, count));
        return out;
      })
      .then((outcome) => {
        if (outcome.kind === "error") rethrowFrom("selectQueue", outcome.error);
        if (outcome.kind !== "ok") throw new Error(`the node was ${outcome.kind}`);
        return outcome.value;
      });
  await node.start();
  const first = await table();
  const again = await table();
  node.crash();
  await node.start();
  const afterRestart = await table();

  const inputs: Array<[string, number]> = [];
  for (const count of scenario.queueCounts) for (const key of scenario.keys) inputs.push([key, count]);
  for (const count of SPREAD_QUEUE_COUNTS) for (const key of SPREAD_KEYS) inputs.push([key, count]);
  for (const [i, [key, count]] of inputs.entries()) {
    const q = first[i];
    const call = `selectQueue(${JSON.stringify(key)}, ${count})`;
    if (!Number.isInteger(q) || (q as number) < 0 || (q as number) >= count) {
      return [
        anomaly(
          "wrong answer",
          `${call} returned ${q}: a queue number must be a whole number from 0 to ${count - 1}.${invalidCause(q)}`,
        ),
      ];
    }
    if (again[i] !== q || afterRestart[i] !== q) {
      const when = again[i] !== q ? "on the next call" : "after a restart";
      return [
        anomaly(
          "reorder",
          `${call} returned ${q}, then ${again[i] !== q ? again[i] : afterRestart[i]} ${when}. A key that moves between queues loses its order: the queue must depend on the key and the queue count only.`,
        ),
      ];
    }
  }
  const spreadStart = inputs.length - SPREAD_QUEUE_COUNTS.length * SPREAD_KEYS.length;
  for (const [c, count] of SPREAD_QUEUE_COUNTS.entries()) {
    const from = spreadStart + c * SPREAD_KEYS.length;
    const counts = new Array<number>(count).fill(0);
    for (const q of first.slice(from, from + SPREAD_KEYS.length)) counts[q] = (counts[q] ?? 0) + 1;
    const fair = SPREAD_KEYS.length / count;
    if (Math.min(...counts) < fair / 4) {
      const empty = counts.flatMap((n, q) => (n === 0 ? [q] : []));
      return [
        anomaly(
          "wrong answer",
          `${SPREAD_KEYS.length} keys like "${SPREAD_KEYS[0]}" over ${count} queues landed ${counts.join(", ")}: ` +
            (empty.length > 0
              ? `queue${empty.length > 1 ? "s" : ""} ${empty.join(", ")} never get${empty.length > 1 ? "" : "s"} a key. `
              : "some queue gets almost nothing. ") +
            spreadAdvice(counts),
        ),
      ];
    }
  }
  return [];
}

/** Why a queue number may come out invalid, when its value hints at it. */
function invalidCause(q: number | undefined): string {
  if (typeof q !== "number" || Number.isNaN(q)) return "";
  if (Number.isInteger(q) && q < 0)
    return " A remainder keeps the sign of the number divided in JavaScript (-7 % 3 is -1), and a hash can be negative: bring the remainder into range (r < 0 ? r + n : r).";
  if (!Number.isInteger(q))
    return " A fraction means the arithmetic left whole numbers: keep the hash a 32-bit integer (| 0, Math.imul) and take a remainder, not a division.";
  return "";
}

/**
 * What a skewed spread says about its cause. Every key in a queue whose number shares a factor d
 * with the queue count means every hash was a multiple of d: the low bits are gone, which is what a
 * hash computed past 2^53 looks like (JavaScript numbers keep 53 bits; `h * 31 + c` over a
 * 12-character key passes that). One queue far above the others is what folding the negative
 * remainders onto one queue looks like.
 */
function spreadAdvice(counts: readonly number[]): string {
  const count = counts.length;
  const used = counts.flatMap((n, q) => (n > 0 ? [q] : []));
  const factor = [2, 3, 5, 7].find((d) => count % d === 0 && used.every((q) => q % d === 0));
  if (factor !== undefined && used.length < count)
    return `Every key landed in a queue whose number is a multiple of ${factor}, so every hash was a multiple of ${factor}: its low bits are lost. That is a hash not kept to 32 bits (JavaScript numbers keep 53 bits, and h * 31 + c over a long key passes them): keep it to 32 bits at every step, with | 0 or Math.imul.`;
  const total = counts.reduce((a, b) => a + b, 0);
  const busiest = counts.indexOf(Math.max(...counts));
  if (counts[busiest] !== undefined && counts[busiest] * 2 > total && used.length > 1)
    return `Queue ${busiest} gets more than half of them: is every negative remainder (a hash can be negative, and -7 % 3 is -1 in JavaScript) sent to one queue? Bring it into range instead (r < 0 ? r + n : r).`;
  return "Spread keys over every queue, whatever the queue count: hash them, then take the remainder of the hash by the queue count (a bit mask spreads over every queue only when the count is a power of two).";
}
