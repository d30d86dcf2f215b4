/**
 * L3.E's workload: L3.D's (scripted producers answering checks from their truth, checkWorkload in
 * checks.ts), 6 to 14 transactions, with the whole learner service (A, C, D and E) in a broker
 * that crashes and loses power: some of the time right after one of its disk calls, so that a
 * crash lands between a commit's real message and its op record, between an op and the reply,
 * inside a set-aside, inside recovery itself. The progress counters fall back to their last
 * persist (every 100 ms), so the first scans after a restart meet resolved halves again.
 *
 * The checker is L3.D's without `wasted check` (a crash may forget counts, legitimately): across
 * restarts, a message delivered twice is a duplicate, a check for a half acknowledged resolved
 * before the crash is redundant, and a half that never answers again is not live.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { planArb } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { TransactionModule } from "./api.ts";
import { type ChecksScenario, checksScenarioOf, runChecksOn } from "./checks.ts";
import { BROKER, learnerService } from "./deployment.ts";

export const recoveryScenario = checksScenarioOf(
  { min: 6, max: 14 },
  planArb({
    nodes: [BROKER, "p1"],
    networkNodes: [BROKER, "p1", "p2"],
    kinds: ["crash", "powerLoss", "pause", "partition"],
    eventsMin: 1,
    eventsMax: 4,
    windowMs: 500,
    outageMsMax: 150,
    boundaries: ["disk", "send"],
  }),
  // Set-asides happen a second after their half at the earliest (timeout and 15 checks): a crash
  // then, half of the time, is what tests that recovery remembers them.
  fc.oneof(
    fc.constant(null),
    fc.record({ atMs: fc.integer({ min: 1_200, max: 1_600 }), downMs: fc.integer({ min: 10, max: 100 }) }),
  ),
);

export async function runRecoveryWorkload(ctx: TestContext<TransactionModule>, s: ChecksScenario): Promise<Anomaly[]> {
  const open = learnerService(ctx, {}, true);
  return runChecksOn(ctx, s, open, { countChecks: false });
}
