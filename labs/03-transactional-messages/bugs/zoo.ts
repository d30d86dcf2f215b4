/**
 * Lab 03's bug zoo: each entry is a realistic wrong implementation, the parts that catch it at
 * default depth (with shrinking, as `npx lab grade` runs), and the anomaly its report leads with.
 * `lab.test.ts` checks that every line here is true, and that no part catches more or less.
 * Each folder's README.md explains the bug to a learner. After a change to the workloads, the
 * checkers or the deployment, re-tabulate with `npx tsx harness/tools/tabulate-zoo.ts 03`.
 */
import type { ZooEntry } from "#harness/grade/lab-suite.ts";

export const zoo: ZooEntry[] = [
  // L3.A: the half store.
  {
    name: "half-in-real-topic",
    caughtBy: { "L3.A": "aborted read", "L3.C": "aborted read", "L3.D": "aborted read", "L3.E": "aborted read" },
  },
  { name: "ack-before-durable", caughtBy: { "L3.A": "lost write", "L3.E": "redundant check" } },
  // L3.B: the producer.
  { name: "answer-check-from-memory", caughtBy: { "L3.B": "conflicting outcomes" } },
  { name: "check-reads-absent-as-rollback", caughtBy: { "L3.B": "conflicting outcomes" } },
  { name: "unknown-means-rollback", caughtBy: { "L3.B": "lost write" } },
  { name: "outcome-row-apart", caughtBy: { "L3.B": "lost write" } },
  { name: "half-sent-twice", caughtBy: { "L3.B": "wrong answer" } },
  // L3.C: exactly one outcome.
  { name: "commit-twice", caughtBy: { "L3.C": "duplicate", "L3.D": "duplicate", "L3.E": "duplicate" } },
  { name: "last-decision-wins", caughtBy: { "L3.C": "aborted read", "L3.D": "wrong answer", "L3.E": "wrong answer" } },
  { name: "resolve-without-lock", caughtBy: { "L3.C": "duplicate", "L3.D": "duplicate", "L3.E": "duplicate" } },
  {
    name: "unknown-before-guard",
    caughtBy: { "L3.C": "wrong answer", "L3.D": "wrong answer", "L3.E": "wrong answer" },
  },
  // L3.D: the check service.
  { name: "checks-while-offline", caughtBy: { "L3.D": "wasted check" } },
  { name: "producer-clock-age", caughtBy: { "L3.D": "premature check", "L3.E": "premature check" } },
  { name: "immunity-spends-checks", caughtBy: { "L3.D": "wasted check" } },
  { name: "progress-past-pending", caughtBy: { "L3.D": "lost write", "L3.E": "lost write" } },
  { name: "checks-past-budget", caughtBy: { "L3.D": "wasted check" } },
  // L3.E: op records and recovery.
  { name: "op-record-lost", caughtBy: { "L3.E": "duplicate" } },
  { name: "batched-op-records", caughtBy: { "L3.A": "lost write", "L3.E": "redundant check" } },
  { name: "forgets-set-aside", caughtBy: { "L3.E": "wrong answer" } },
  // L3.F: Kafka's way.
  { name: "timeout-abort-without-fencing", caughtBy: { "L3.F": "lost write" } },
  { name: "implicit-begin", caughtBy: { "L3.F": "lost write" } },
  { name: "lso-inclusive", caughtBy: { "L3.F": "aborted read" } },
  { name: "end-bumps-nothing", caughtBy: { "L3.F": "lost write" } },
  { name: "stale-epoch-accepted", caughtBy: { "L3.F": "wrong answer" } },
  { name: "timeout-from-first-transaction", caughtBy: { "L3.F": "not live" } },
  { name: "sequences-across-epochs", caughtBy: { "L3.F": "not live" } },
];
