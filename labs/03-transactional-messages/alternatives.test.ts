/**
 * Lab 03's correct alternatives: files written from the stubs' contracts only, each differently
 * from the reference, that must pass every part. They catch false failures: a grader that fails
 * correct code written another way. See alternatives/README.md for how each file differs; the
 * deep run is `npx lab deep-check 03 --impl labs/03-transactional-messages/alternatives/NAME`.
 */
import { describe } from "vitest";
import { itPassesEveryPart } from "#labs/00-durable-register/alternatives/suite.ts";

describe("lab 03-transactional-messages: correct alternatives", () => {
  itPassesEveryPart("03-transactional-messages", { name: "intent-row-locks", seeds: 60 });
  // lso-by-scan replaces partition-state.ts only; the other files are the reference's, re-exported.
  itPassesEveryPart("03-transactional-messages", {
    name: "lso-by-scan",
    seeds: { perPart: { "L3.F": 200 }, other: 20 },
  });
  // own-coordinator replaces coordinator.ts only: L3.F runs it.
  itPassesEveryPart("03-transactional-messages", {
    name: "own-coordinator",
    seeds: { perPart: { "L3.F": 200 }, other: 5 },
  });
  // idempotent-commit replaces end-transaction.ts and recovery.ts: C, D and E run them.
  itPassesEveryPart("03-transactional-messages", {
    name: "idempotent-commit",
    seeds: { perPart: { "L3.C": 60, "L3.D": 60, "L3.E": 200 }, other: 10 },
  });
});
