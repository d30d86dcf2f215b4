/**
 * Lab 03's correct alternatives (docs/design/lab-03.md, section 8): files written from the stubs'
 * contracts, differently from the reference, that must pass every part they take part in. They
 * catch false failures: a grader that fails correct code written another way. The deep run is
 * `npx lab deep-check 03 --impl labs/03-transactional-messages/alternatives/NAME --part F`.
 */
import { describe } from "vitest";
import { itPassesEveryPart } from "#labs/00-durable-register/alternatives/suite.ts";

describe("lab 03-transactional-messages: correct alternatives", () => {
  // lso-by-scan replaces partition-state.ts only; the other files are the reference's, re-exported.
  itPassesEveryPart("03-transactional-messages", {
    name: "lso-by-scan",
    seeds: { perPart: { "L3.F": 200 }, other: 20 },
  });
});
