/**
 * L4.E's workload: the consumer workload (consume.ts) with handlers that finish out of order, and
 * the offset checker (check-offsets.ts) on top of the effect checker.
 *
 * Each operation's handler works a drawn time before its transaction, on every delivery: most 0 to
 * 5 ms, one to three of them 40 to 200 ms (a slow downstream call). With `TIMING.maxInFlight`
 * handlers at once, messages behind a slow one finish first, so a tracker that commits what
 * finished last, or what it received, passes the slow one; serialization failures answer
 * `retryLater` and keep a message in flight longer still. Consumers crash and pause (past the
 * group's session, so queues move): a commit past an unfinished message then loses it (`lost
 * write`), a commit held back makes the next owner handle finished work again.
 */
import fc from "fast-check";
import type { Anomaly, AnomalyName } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { Consumed, Delivery, HandlerContext } from "../provided.ts";
import type { ConsumerParts } from "../runtime.ts";
import type { ConsumptionModule } from "./api.ts";
import { checkOffsets } from "./check-offsets.ts";
import { type ConsumeScenario, type ConsumeShape, consumeScenarioArb, describeConsume, runConsume } from "./consume.ts";
import type { Deployment } from "./deployment.ts";
import { describeEvent } from "./orders.ts";
import { standInClaim, standInHandle, standInKey } from "./stand-ins.ts";

/** One operation whose handler is slow. */
export interface SlowPlan {
  event: number;
  workMs: number;
}

export interface OffsetsScenario {
  consume: ConsumeScenario;
  /** Per operation: how long its handler works before its transaction (every delivery). */
  workMs: number[];
  slow: SlowPlan[];
}

/** The most operations an order book of the workload has (orders times the longest story). */
const EVENTS_MAX = 48;

export function offsetsScenarioArb(shape: ConsumeShape): fc.Arbitrary<OffsetsScenario> {
  return fc
    .record({
      consume: consumeScenarioArb(shape),
      workMs: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: EVENTS_MAX, maxLength: EVENTS_MAX }),
      slow: fc.array(fc.record({ event: fc.nat({ max: EVENTS_MAX - 1 }), workMs: fc.integer({ min: 40, max: 200 }) }), {
        minLength: 1,
        maxLength: 3,
      }),
    })
    .map(({ consume, workMs, slow }) => {
      const count = consume.events.length;
      // A slow pick beyond this book's operations lands on one of them.
      const picks = slow.map((s) => ({ event: s.event % count, workMs: s.workMs }));
      const work = consume.events.map((_, i) => picks.find((s) => s.event === i)?.workMs ?? workMs[i] ?? 0);
      return { consume, workMs: work, slow: picks.filter((s, i) => picks.findIndex((p) => p.event === s.event) === i) };
    });
}

export function describeOffsets(s: OffsetsScenario): string[] {
  const slow = s.slow.map((p) => {
    const event = s.consume.events[p.event];
    return event === undefined ? "" : `${describeEvent(event)} ${p.workMs} ms`;
  });
  return [
    ...describeConsume(s.consume),
    `handlers: ${slow.filter((t) => t !== "").join(", ")} (slow, on every delivery); the others 0 to 5 ms before their transaction`,
  ];
}

/** The handlers are the grader's here: a queue that does not drain has a tracker that stopped. */
const NOT_LIVE_ADVICE =
  "The handlers here are the grader's; the offset committed is your tracker's, and once every message below an offset has finished, the tracker must let the commit move past them";

/** The design's order of anomalies in a report (docs/design/lab-04.md, section 4): causes first. */
const ORDER: readonly AnomalyName[] = [
  "wrong answer",
  "applied twice",
  "committed past unfinished",
  "lost write",
  "offset held back",
  "not live",
];

function rank(a: Anomaly): number {
  const index = ORDER.indexOf(a.name);
  return index < 0 ? ORDER.length : index;
}

/**
 * Runs one scenario. `observe` sees the deployment once the run is over (measurement tools use it
 * for the backlog figures: `redeliveriesAfterCrashes(d.offsetEvents)`).
 */
export async function runOffsets(
  ctx: TestContext<ConsumptionModule>,
  s: OffsetsScenario,
  observe?: (d: Deployment) => void,
): Promise<Anomaly[]> {
  const workMs = new Map(s.consume.events.map((e, i) => [`${e.orderId}/${e.step}`, s.workMs[i] ?? 0]));
  const handle = async (hc: HandlerContext, delivery: Delivery): Promise<Consumed> => {
    const ms = workMs.get(`${delivery.event.orderId}/${delivery.event.step}`) ?? 0;
    if (ms > 0) await hc.env.clock.sleep(ms);
    return standInHandle(hc, delivery);
  };
  const assembly = (env: Parameters<TestContext<ConsumptionModule>["implFor"]>[0]): ConsumerParts => ({
    businessKey: standInKey,
    claim: standInClaim,
    handle,
    openTracker: ctx.implFor(env).openTracker,
  });
  const check = (d: Deployment): Anomaly[] => {
    observe?.(d);
    return offsetsOf(d);
  };
  const found = await runConsume(ctx, s.consume, { assembly, checkOffsets: check, notLiveAdvice: NOT_LIVE_ADVICE });
  return [...found].sort((a, b) => rank(a) - rank(b));
}

function offsetsOf(d: Deployment): Anomaly[] {
  const handles = d.deliveries.map((e) => ({
    consumer: e.consumer,
    queueId: e.delivery.queueId,
    queueOffset: e.delivery.queueOffset,
    op: e.op,
  }));
  return checkOffsets({ events: d.offsetEvents, handles });
}
