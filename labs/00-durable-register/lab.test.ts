import { describeLabSuite } from "#harness/grade/lab-suite.ts";

describeLabSuite({ slug: "00-durable-register", solutionSeeds: 1000 });
