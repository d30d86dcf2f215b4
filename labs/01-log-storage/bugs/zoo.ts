/**
 * Lab 01's bug zoo: each entry is a realistic wrong implementation, the parts that catch it at
 * default depth (with shrinking, as `npx lab grade` runs), and the anomaly its report leads with.
 * `lab.test.ts` checks that every line here is true, and that no part catches more or less.
 * Each folder's README.md explains the bug to a learner.
 */
export interface ZooEntry {
  name: string;
  /** Every part that fails, with the name of the anomaly its report leads with. */
  caughtBy: Record<string, string>;
}

export const zoo: ZooEntry[] = [];
