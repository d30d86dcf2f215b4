/**
 * Lab 04's real part as the CLI runs it (harness/grade/real-db.ts): the implementation's handler.ts,
 * inbox.ts and redis-window.ts (loadImpl checked their exports), then the whole report.
 */
import type { Implementation } from "#harness/grade/define.ts";
import type { RealDbPart } from "#harness/grade/real-db.ts";
import type { ConsumptionModule } from "./api.ts";
import { type ConsumerImpl, realPassed, realReportLines, runRealPart } from "./real-db.ts";
import { REAL_SCENARIOS } from "./real-scenarios.ts";

export function asConsumerImpl(impl: Implementation<unknown>): ConsumerImpl {
  return { fresh: () => impl.fresh() as ConsumptionModule };
}

export const realDbPart: RealDbPart = {
  async run(impl, choice) {
    process.stderr.write(`running ${REAL_SCENARIOS.length} scenarios in real time (under 1 s each)...\n`);
    const report = await runRealPart(asConsumerImpl(impl));
    return { lines: realReportLines(report, `${choice.label}/`), passed: realPassed(report) };
  },
};
