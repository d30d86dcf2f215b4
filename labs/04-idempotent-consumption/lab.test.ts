import { describeLabSuite } from "#harness/grade/lab-suite.ts";

// Parts L4.A to L4.F. 200 seeds per part keep this suite short on
// two cores; `npx lab deep-check 04` grades 5,000.
describeLabSuite({ slug: "04-idempotent-consumption", solutionSeeds: 200 });
