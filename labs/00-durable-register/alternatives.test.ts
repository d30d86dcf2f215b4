/**
 * Lab 00's correct alternatives (issue 7, point 7): registers written from the stub's contract and
 * the guide only, each differently from the reference, that must pass every part. They catch false
 * failures: a grader that fails correct code written another way. See alternatives/*\/register.ts for
 * how each differs, and alternatives/sweep.ts for the deep run (thousands of seeds per part).
 */
import { describe } from "vitest";
import { itPassesEveryPart } from "./alternatives/suite.ts";

describe("lab 00-durable-register: correct alternatives", () => {
  itPassesEveryPart("00-durable-register", { name: "append-log", seeds: 500 });
  itPassesEveryPart("00-durable-register", {
    name: "two-slots",
    seeds: 500,
    knownFalseFailures: {
      // Issue 7: an injected fsync EIO that hits the fsyncs this register does while opening ends
      // the run ("your code threw in restarting n1"), where a supervisor would restart the node.
      // Reproduce: npx lab grade 00 --impl labs/00-durable-register/alternatives/two-slots --part L0.D --seed 43
      "L0.D": /^seed \d+: your code threw in restarting n1: DiskError: EIO: fsync 'slot-[ab]' failed$/,
    },
  });
});
