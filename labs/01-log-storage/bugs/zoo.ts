/**
 * Lab 01's bug zoo: each entry is a realistic wrong implementation, the parts that catch it at
 * default depth (with shrinking, as `npx lab grade` runs), and the anomaly its report leads with.
 * `lab.test.ts` checks that every line here is true, and that no part catches more or less.
 * Each folder's README.md explains the bug to a learner.
 */
import type { ZooEntry } from "#harness/grade/lab-suite.ts";

export const zoo: ZooEntry[] = [
  { name: "long-topic-accepted", caughtBy: { "L1.A": "wrong answer" } },
  { name: "ack-before-fsync", caughtBy: { "L1.D": "wrong answer", "L1.F": "lost write" } },
  { name: "late-writes-acked", caughtBy: { "L1.D": "lost write" } },
  { name: "fsync-retry", caughtBy: { "L1.D": "wrong answer" } },
  { name: "stopped-commit-waits", caughtBy: { "L1.D": "not live" } },
  { name: "async-flush-least-pages", caughtBy: { "L1.D": "lost write" } },
  { name: "flush-active-segment-only", caughtBy: { "L1.D": "lost write", "L1.E": "lost write", "L1.F": "lost write" } },
  {
    name: "roll-splits-record",
    caughtBy: {
      "L1.B": "wrong answer",
      "L1.C": "wrong answer",
      "L1.D": "not live",
      "L1.E": "not live",
      "L1.F": "not live",
    },
  },
  { name: "stale-queue-entries", caughtBy: { "L1.C": "wrong answer", "L1.E": "wrong answer" } },
  { name: "no-crc-check", caughtBy: { "L1.E": "corruption passed through" } },
  { name: "recovery-trusts-file-size", caughtBy: { "L1.D": "hole", "L1.E": "lost write", "L1.F": "lost write" } },
  { name: "cut-at-first-bad-read", caughtBy: { "L1.E": "lost write" } },
  { name: "abort-marker-cleared-early", caughtBy: { "L1.D": "lost write", "L1.E": "hole", "L1.F": "lost write" } },
  { name: "truncate-without-fsync", caughtBy: { "L1.E": "stale read" } },
  { name: "delete-active-segment", caughtBy: { "L1.F": "lost write" } },
  { name: "expire-by-first-record", caughtBy: { "L1.F": "lost write" } },
  { name: "fsync-per-message", caughtBy: { "L1.G": "too slow" } },
  { name: "linear-queue-lookup", caughtBy: { "L1.G": "too slow" } },
];
