import { describeLabSuite } from "#harness/grade/lab-suite.ts";

// 200 seeds per part keep this suite under a minute on two cores; `npx lab deep-check 02` grades 5,000.
describeLabSuite({ slug: "02-ordered-messages", solutionSeeds: 200 });
