/**
 * The tests every service's fault plans pass (db-plan.test.ts, redis-plan.test.ts): drawn from a
 * seed, sorted by time, within the shape's bounds; shrunk to the one event that matters.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import type { SidePlan, SidePlanShape } from "./side-plan.ts";

/** Adds the two tests to the current `describe`; returns the 200 plans drawn, for more checks. */
export function itDrawsAndShrinks<TKind extends string, TEvent extends { atMs: number; kind: TKind }>(
  arb: (shape: SidePlanShape<TKind>) => fc.Arbitrary<SidePlan<TEvent>>,
  shape: SidePlanShape<TKind> & { nodes: readonly [string, string] },
  cutKind: TKind,
): void {
  it("are drawn from a seed, sorted by time, within the shape's bounds", () => {
    const [first] = fc.sample(arb(shape), { seed: 5, numRuns: 1 });
    expect(fc.sample(arb(shape), { seed: 5, numRuns: 1 })[0]).toEqual(first);
    for (const plan of fc.sample(arb(shape), { seed: 9, numRuns: 200 })) {
      const times = plan.events.map((e) => e.atMs);
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(plan.events.length).toBeLessThanOrEqual(shape.eventsMax);
      for (const event of plan.events) {
        expect(event.atMs).toBeLessThan(shape.windowMs);
        if ("node" in event) expect(shape.nodes).toContain(event.node);
      }
    }
  });

  it("shrink to the event that matters", () => {
    const [, second] = shape.nodes;
    const isCutOfSecond = (e: TEvent): boolean => e.kind === cutKind && "node" in e && e.node === second;
    const result = fc.check(
      fc.property(arb(shape), (plan) => !plan.events.some(isCutOfSecond)),
      { seed: 3, numRuns: 200 },
    );
    expect(result.failed).toBe(true);
    expect((result.counterexample?.[0] as SidePlan<TEvent> | undefined)?.events).toEqual([
      { atMs: 0, kind: cutKind, node: second, forMs: 1 },
    ]);
  });
}
