/**
 * Lab 02's correct alternative (issue 7, point 7): all five files written from the stubs' contracts
 * and the guide only, each differently from the reference, that must pass every part. It catches
 * false failures: a grader that fails correct code written another way. See
 * alternatives/windowed/*.ts for how each file differs; the deep run (thousands of seeds per part)
 * is `npx tsx labs/00-durable-register/alternatives/sweep.ts 02 alternatives/windowed 3000`.
 */
import { describe } from "vitest";
import { itPassesEveryPart } from "#labs/00-durable-register/alternatives/suite.ts";

describe("lab 02-ordered-messages: correct alternatives", () => {
  // The consumer parts run about ten seeds a second on a busy 2-core machine; the suite stays near 30 s.
  itPassesEveryPart("02-ordered-messages", {
    name: "windowed",
    seeds: { perPart: { "L2.A": 200, "L2.B": 100 }, other: 40 },
  });
});
