/**
 * Lab 04's bug zoo: each entry is a realistic wrong implementation, the parts that catch it at
 * default depth (with shrinking, as `npx lab grade` runs), and the anomaly its report leads with.
 * `lab.test.ts` checks that every line here is true, and that no part catches more or less.
 * Each folder's README.md explains the bug to a learner. After a change to the workloads, the
 * checkers or the deployment, re-tabulate with `npx tsx harness/tools/tabulate-zoo.ts 04`.
 */
import type { ZooEntry } from "#harness/grade/lab-suite.ts";

export const zoo: ZooEntry[] = [
  // L4.A: the business key.
  { name: "key-by-message-id", caughtBy: { "L4.A": "applied twice" } },
  { name: "key-by-offset", caughtBy: { "L4.A": "applied twice" } },
  { name: "key-by-order", caughtBy: { "L4.A": "lost write" } },
  { name: "key-by-body-hash", caughtBy: { "L4.A": "applied twice" } },
  { name: "key-by-kind", caughtBy: { "L4.A": "lost write" } },
  // L4.B: the effect and its mark in one transaction.
  { name: "mark-before-effect", caughtBy: { "L4.B": "lost write", "L4.C": "lost write" } },
  { name: "mark-after-effect", caughtBy: { "L4.B": "applied twice", "L4.C": "applied twice" } },
  { name: "swallow-and-ack", caughtBy: { "L4.B": "lost write", "L4.C": "lost write" } },
  // L4.C: concurrent redelivery.
  { name: "check-then-insert", caughtBy: { "L4.C": "applied twice" } },
  { name: "insert-dooms-tx", caughtBy: { "L4.C": "exception" } },
  // L4.E: offsets and backlog (17 to 20 of the design, then five more a learner writes).
  { name: "commit-highest-finished", caughtBy: { "L4.E": "committed past unfinished" } },
  { name: "commit-on-receive", caughtBy: { "L4.E": "committed past unfinished" } },
  { name: "lowest-plus-one", caughtBy: { "L4.E": "committed past unfinished" } },
  { name: "contiguous-only-from-zero", caughtBy: { "L4.E": "offset held back" } },
  { name: "null-when-idle", caughtBy: { "L4.E": "offset held back" } },
  { name: "end-starts-at-zero", caughtBy: { "L4.E": "offset held back" } },
  // Only about one seed in ten has offsets 9 and 10 in flight at once: first caught on seed 26.
  { name: "lexicographic-sort", caughtBy: { "L4.E": "committed past unfinished" } },
  { name: "end-by-last-finished", caughtBy: { "L4.E": "offset held back" } },
  { name: "fifo-finish", caughtBy: { "L4.E": "committed past unfinished" } },
];
