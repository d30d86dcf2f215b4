/**
 * Lab 03's real-database part as the CLI runs it (harness/grade/real-db.ts): the implementation's
 * producer.ts, each scenario's line printed as it ends, then the whole report.
 */
import type { Implementation } from "#harness/grade/define.ts";
import type { RealDbPart } from "#harness/grade/real-db.ts";
import type { TransactionalProducer } from "#labs/03-transactional-messages/provided.ts";
import { type ProducerImpl, realDbPassed, realDbReportLines, runRealDbPart } from "./real-db.ts";

/** The implementation's producer.ts, checked at each copy (loadImpl already checked its exports). */
export function asProducerImpl(impl: Implementation<unknown>): ProducerImpl {
  return {
    fresh() {
      const copy = impl.fresh() as { openTransactionalProducer?: unknown };
      const open = copy.openTransactionalProducer;
      if (typeof open !== "function") throw new TypeError("producer.ts must export function openTransactionalProducer");
      return {
        openTransactionalProducer: (env, db, options) =>
          (open as (...args: unknown[]) => Promise<TransactionalProducer>)(env, db, options),
      };
    },
  };
}

export const realDbPart: RealDbPart = {
  async run(impl, choice) {
    process.stderr.write("running 8 scenarios in real time (about 1 s each)...\n");
    const report = await runRealDbPart(asProducerImpl(impl));
    return { lines: realDbReportLines(report, `${choice.label}/producer.ts`), passed: realDbPassed(report) };
  },
};
