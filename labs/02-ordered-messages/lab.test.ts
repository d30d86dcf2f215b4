import { describeLabSuite } from "#harness/grade/lab-suite.ts";
import { zoo } from "./bugs/zoo.ts";

// 200 seeds per part keep this suite under a minute on two cores; deep-check.ts grades 2,000.
describeLabSuite({ slug: "02-ordered-messages", solutionSeeds: 200, zoo });
