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
  // Fsyncs its slot files while opening: an injected EIO there once ended the run as "your code
  // threw in restarting n1"; the harness now restarts such a node, as a supervisor would.
  itPassesEveryPart("00-durable-register", { name: "two-slots", seeds: 500 });
});
