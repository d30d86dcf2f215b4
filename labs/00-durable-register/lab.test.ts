import { describeLabSuite } from "#harness/grade/lab-suite.ts";
import { zoo } from "./bugs/zoo.ts";

describeLabSuite({ slug: "00-durable-register", solutionSeeds: 1000, zoo });
