/**
 * Lab 02's bug zoo: each entry is a realistic wrong implementation, the parts that catch it at
 * default depth (with shrinking, as `npx lab grade` runs), and the anomaly its report leads with.
 * `lab.test.ts` checks that every line here is true, and that no part catches more or less.
 * Each folder's README.md explains the bug to a learner. After a change to the workloads, the
 * checkers or the deployment, re-tabulate with `npx tsx harness/tools/tabulate-zoo.ts 02`.
 */
import type { ZooEntry } from "#harness/grade/lab-suite.ts";

export const zoo: ZooEntry[] = [
  // L2.A, L2.B: routing and the producer.
  { name: "negative-modulo", caughtBy: { "L2.A": "wrong answer", "L2.B": "not live" } },
  { name: "hash-and-mask", caughtBy: { "L2.A": "wrong answer" } },
  { name: "hash-loses-precision", caughtBy: { "L2.A": "wrong answer" } },
  { name: "hash-message-id", caughtBy: { "L2.B": "reorder" } },
  { name: "non-idempotent-pipeline", caughtBy: { "L2.B": "duplicate" } },
  { name: "sequence-per-attempt", caughtBy: { "L2.B": "duplicate" } },
  { name: "gives-up-after-retries", caughtBy: { "L2.B": "not live" } },
  { name: "module-level-sequences", caughtBy: { "L2.B": "not live" } },
  { name: "store-error-is-final", caughtBy: { "L2.B": "not live" } },
  // L2.C: the orderly worker (the group parts run it too).
  { name: "skip-failed-message", caughtBy: { "L2.C": "lost write", "L2.D": "reorder", "L2.E": "lost write" } },
  { name: "retry-later", caughtBy: { "L2.C": "reorder", "L2.D": "reorder", "L2.E": "reorder" } },
  {
    name: "commit-before-processing",
    caughtBy: { "L2.C": "lost write", "L2.D": "lost write", "L2.E": "lost write" },
  },
  { name: "commit-once-and-forget", caughtBy: { "L2.C": "not live", "L2.D": "not live", "L2.E": "not live" } },
  {
    name: "start-at-zero",
    caughtBy: {
      "L2.C": "rewound below the committed offset",
      "L2.D": "rewound below the committed offset",
      "L2.E": "rewound below the committed offset",
    },
  },
  // L2.D, L2.E: locks, leases and fencing.
  {
    name: "unlock-before-drain",
    caughtBy: { "L2.D": "overlap", "L2.E": "processed without the lock" },
  },
  { name: "lock-never-renewed", caughtBy: { "L2.D": "processed without the lock" } },
  {
    name: "lock-ok-means-granted",
    caughtBy: { "L2.D": "processed without the lock", "L2.E": "processed without the lock" },
  },
  { name: "no-safety-margin", caughtBy: { "L2.D": "processed without the lock" } },
  { name: "no-fencing-token", caughtBy: { "L2.E": "overlap" } },
  {
    name: "close-only-unlocks",
    caughtBy: { "L2.D": "processed without the lock", "L2.E": "processed without the lock" },
  },
  {
    name: "close-returns-early",
    caughtBy: { "L2.D": "processed without the lock", "L2.E": "processed without the lock" },
  },
  // L2.F: keys in parallel.
  { name: "key-overlap", caughtBy: { "L2.F": "overlap" } },
  { name: "commit-highest-finished", caughtBy: { "L2.F": "reorder" } },
  { name: "batch-barrier", caughtBy: { "L2.F": "head-of-line blocking" } },
  { name: "hash-lanes", caughtBy: { "L2.F": "head-of-line blocking" } },
  { name: "drain-pulled-window", caughtBy: { "L2.F": "processed without the lock" } },
];
