/**
 * Lab 03's bug zoo: each entry is a realistic wrong implementation, the parts that catch it at
 * default depth (with shrinking, as `npx lab grade` runs), and the anomaly its report leads with.
 * `lab.test.ts` checks that every line here is true, and that no part catches more or less.
 * Each folder's README.md explains the bug to a learner. After a change to the workloads, the
 * checkers or the deployment, re-tabulate with `npx tsx harness/tools/tabulate-zoo.ts 03`.
 */
import type { ZooEntry } from "#harness/grade/lab-suite.ts";

export const zoo: ZooEntry[] = [
  // L3.F: Kafka's way.
  { name: "timeout-abort-without-fencing", caughtBy: { "L3.F": "lost write" } },
  { name: "implicit-begin", caughtBy: { "L3.F": "hanging transaction" } },
  { name: "lso-inclusive", caughtBy: { "L3.F": "aborted read" } },
  { name: "end-bumps-nothing", caughtBy: { "L3.F": "lost write" } },
];
