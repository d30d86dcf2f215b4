import { describeLabSuite } from "#harness/grade/lab-suite.ts";

// 200 seeds per part keep this suite short on two cores; `npx lab deep-check 03` grades 5,000.
describeLabSuite({ slug: "03-transactional-messages", solutionSeeds: 200 });
