/**
 * The result of a real-part scenario that stopped on an error of its own (its script, the stage or
 * the checker threw; not the learner's handler): failed, with the error named. Labs 03 and 04 share it.
 */
import { anomaly } from "#harness/checkers/anomaly.ts";
import { errorText } from "#harness/workloads/call.ts";

export function stoppedScenario<Base extends object>(base: Base, ms: number, error: unknown) {
  const reason = errorText(error);
  return {
    ...base,
    verdict: "failed" as const,
    ms,
    anomalies: [anomaly("wrong answer", `the scenario stopped: ${reason}`)],
    reason,
  };
}
