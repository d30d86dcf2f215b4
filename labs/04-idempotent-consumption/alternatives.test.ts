/**
 * Lab 04's correct alternatives: files written from the stubs' contracts only, each differently
 * from the reference, that must pass every part. They catch false failures: a grader that fails
 * correct code written another way. See alternatives/README.md for how each file differs; the
 * deep run is `npx lab deep-check 04 --impl labs/04-idempotent-consumption/alternatives/NAME`.
 */
import { describe } from "vitest";
import { itPassesEveryPart } from "#labs/00-durable-register/alternatives/suite.ts";

describe("lab 04-idempotent-consumption: correct alternatives", () => {
  itPassesEveryPart("04-idempotent-consumption", { name: "retry-in-place", seeds: 100 });
  // tracker-by-bitset replaces offset-tracker.ts only; the other files are the reference's.
  itPassesEveryPart("04-idempotent-consumption", {
    name: "tracker-by-bitset",
    seeds: { perPart: { "L4.E": 200 }, other: 10 },
  });
  // window-with-renewal replaces redis-window.ts only; the other files are the reference's.
  itPassesEveryPart("04-idempotent-consumption", {
    name: "window-with-renewal",
    seeds: { perPart: { "L4.D": 200 }, other: 10 },
  });
  // txn-per-round replaces transformer.ts only; the other files are the reference's.
  itPassesEveryPart("04-idempotent-consumption", {
    name: "txn-per-round",
    seeds: { perPart: { "L4.F": 200 }, other: 10 },
  });
});
