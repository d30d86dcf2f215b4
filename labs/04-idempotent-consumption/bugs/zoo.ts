/**
 * Lab 04's bug zoo: each entry is a realistic wrong implementation, the parts that catch it at
 * default depth (with shrinking, as `npx lab grade` runs), and the anomaly its report leads with.
 * `lab.test.ts` checks that every line here is true, and that no part catches more or less.
 * Each folder's README.md explains the bug to a learner. After a change to the workloads, the
 * checkers or the deployment, re-tabulate with `npx tsx harness/tools/tabulate-zoo.ts 04`.
 */
import type { ZooEntry } from "#harness/grade/lab-suite.ts";

export const zoo: ZooEntry[] = [];
