/**
 * What a real part (`npx lab grade NN --real-db`, labs 03 and 04) says about each of its scenarios:
 * the verdict, the time, and the anomalies the lab's checker found.
 */
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import type { RealDatabase } from "./db.ts";

export type RealVerdict = "passed" | "failed" | "skipped" | "not implemented";

export interface RealScenarioResult {
  /** From 1, in the lab's list of real scenarios. */
  number: number;
  name: string;
  verdict: RealVerdict;
  ms: number;
  anomalies: Anomaly[];
  /** Why it was skipped, what the learner's code threw, or what stopped it. */
  reason?: string;
}

/** A run of a real part: where, and each scenario's result. */
export interface RealReportOf<TResult extends RealScenarioResult> {
  database: string;
  /** Null when the caller opened the stores. */
  openMs: number | null;
  scenarios: TResult[];
  /** The scenarios' time, resets included. */
  scenariosMs: number;
}

export interface RealOptionsOf<TResult extends RealScenarioResult> {
  /** An open database to use (tests share one); default: chooseDatabase(), closed at the end. */
  database?: RealDatabase;
  /** Only these scenarios (numbers from 1); default all. */
  only?: readonly number[];
  /** Prints each scenario's line as it ends (default: nothing). */
  onScenario?: (result: TResult) => void;
}

/** Each scenario as "8 failed: applied twice": number, verdict, and each anomaly's name once. */
export function scenarioVerdicts(report: { scenarios: readonly RealScenarioResult[] }): string[] {
  return report.scenarios.map((s) => {
    const names = [...new Set(s.anomalies.map((a) => a.name))].join(", ");
    return `${s.number} ${s.verdict}${names === "" ? "" : `: ${names}`}`;
  });
}
