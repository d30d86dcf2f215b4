/**
 * Lab 02's correct alternatives (issue 7, point 7): files written from the stubs' contracts and the
 * guide only, each differently from the reference, that must pass every part. They catch false
 * failures: a grader that fails correct code written another way. See alternatives/windowed/*.ts
 * and alternatives/timed-commits/*.ts for how each file differs; the deep run (thousands of seeds
 * per part) is `npx tsx labs/00-durable-register/alternatives/sweep.ts 02 alternatives/NAME 3000`.
 */
import { describe } from "vitest";
import { itPassesEveryPart } from "#labs/00-durable-register/alternatives/suite.ts";

describe("lab 02-ordered-messages: correct alternatives", () => {
  // The consumer parts run about ten seeds a second on a busy 2-core machine; the suite stays near 30 s.
  itPassesEveryPart("02-ordered-messages", {
    name: "windowed",
    seeds: { perPart: { "L2.A": 200, "L2.B": 100 }, other: 40 },
  });
  // Routing, producer and key-parallel worker are windowed's (re-exported): fewer seeds for them.
  itPassesEveryPart("02-ordered-messages", {
    name: "timed-commits",
    seeds: { perPart: { "L2.A": 20, "L2.B": 20, "L2.F": 20 }, other: 40 },
  });
});
