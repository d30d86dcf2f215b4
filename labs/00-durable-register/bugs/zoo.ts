/**
 * Lab 00's bug zoo: each entry is a realistic wrong implementation, the parts that catch it at
 * default depth (with shrinking, as `npx lab grade` runs), and the anomaly its report leads with.
 * `lab.test.ts` checks that every line here is true, and that no part catches more or less.
 * Each folder's README.md explains the bug to a learner.
 */
import type { ZooEntry } from "#harness/grade/lab-suite.ts";

export const zoo: ZooEntry[] = [
  { name: "in-memory", caughtBy: { "L0.B": "lost write", "L0.C": "lost write", "L0.D": "lost write" } },
  { name: "write-in-place", caughtBy: { "L0.B": "wrong answer", "L0.C": "wrong answer", "L0.D": "wrong answer" } },
  {
    name: "truncate-then-rewrite",
    caughtBy: { "L0.B": "lost write", "L0.C": "lost write", "L0.D": "lost write" },
  },
  { name: "rename-without-dir-fsync", caughtBy: { "L0.C": "lost write", "L0.D": "lost write" } },
  { name: "no-fsync-before-rename", caughtBy: { "L0.C": "lost write", "L0.D": "wrong answer" } },
  { name: "fsync-after-rename", caughtBy: { "L0.C": "lost write", "L0.D": "wrong answer" } },
  { name: "no-checksum", caughtBy: { "L0.C": "garbage read" } },
  { name: "fsync-retry", caughtBy: { "L0.D": "lost write" } },
  {
    name: "empty-as-sentinel",
    caughtBy: { "L0.A": "lost write", "L0.B": "lost write", "L0.C": "lost write", "L0.D": "lost write" },
  },
  { name: "corrupt-means-empty", caughtBy: { "L0.C": "lost write" } },
  { name: "reread-until-valid", caughtBy: { "L0.C": "livelock" } },
];
